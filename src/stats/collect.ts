import { connectFor } from '../core/client.ts';
import { describeError, infraError } from '../core/errors.ts';
import { collectTraffic, type TrafficOptions } from './traffic.ts';
import { STATS_KIND, STATS_VERSION, type ColumnStats, type IndexStats, type StatsFile, type TableStats } from './schema.ts';

/**
 * `rehearse stats`: the shape of a database from its catalog, never from its rows. One read-only
 * session (default_transaction_read_only, a READ ONLY snapshot); pg_class sizes and counters for
 * every user table, pg_index for its indexes, pg_stats for its columns. `most_common_vals` and
 * `histogram_bounds` are row values: read only with `includeValues`, and the file then says
 * `includesValues: true`.
 */
export interface CollectOptions {
  includeValues?: boolean;
  /** for `takenAt`; tests pin it */
  now?: Date;
  /** also watch the traffic over a window (pg_stat_statements, pg_stat_activity): the `traffic` section */
  traffic?: TrafficOptions;
}

/**
 * Settings that change how fast a migration runs and decide a prediction's regime (docs/predictions.md
 * "Regimes"): the buffer cache and the machine's memory, checkpoints and full-page writes, sorts,
 * parallel index builds.
 */
export const SPEED_SETTINGS = [
  'maintenance_work_mem',
  'max_parallel_maintenance_workers',
  'work_mem',
  'shared_buffers',
  'effective_cache_size',
  'max_wal_size',
  'checkpoint_timeout',
  'checkpoint_completion_target',
  'full_page_writes',
  'wal_compression',
  'min_parallel_table_scan_size',
] as const;

const USER_NAMESPACE = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

const TABLES = `
SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples, c.relpages::float8 AS relpages,
       pg_total_relation_size(c.oid)::float8 AS total_bytes,
       pg_relation_size(c.oid)::float8 AS heap_bytes,
       pg_indexes_size(c.oid)::float8 AS index_bytes,
       CASE WHEN c.reltoastrelid <> 0 THEN pg_total_relation_size(c.reltoastrelid) ELSE 0 END::float8 AS toast_bytes,
       s.n_live_tup::float8 AS live, s.n_dead_tup::float8 AS dead
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
 WHERE c.relkind IN ('r', 'p') AND ${USER_NAMESPACE}
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2`;

const INDEXES = `
SELECT n.nspname AS schema, t.relname AS table_name, i.relname AS name, pg_relation_size(i.oid)::float8 AS bytes,
       x.indisunique AS unique,
       ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k)::text[] AS columns
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE t.relkind IN ('r', 'p') AND ${USER_NAMESPACE}
 ORDER BY 1, 2, 3`;

// pg_stats shows the columns this role may SELECT (or owns); inherited = true rows describe a
// partitioned or inheritance parent with its children, the per-table ones come first.
const columnsSql = (values: boolean) => `
SELECT DISTINCT ON (schemaname, tablename, attname)
       schemaname AS schema, tablename AS table_name, attname AS name,
       null_frac::float8 AS null_frac, n_distinct::float8 AS n_distinct, avg_width::float8 AS avg_width,
       correlation::float8 AS correlation
       ${values ? ', most_common_vals::text::text[] AS mcv, most_common_freqs::float8[] AS mcf, histogram_bounds::text::text[] AS histogram' : ''}
  FROM pg_stats
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
 ORDER BY schemaname, tablename, attname, inherited`;

// every column's type, analysed or not (what a derived workload's INSERT values are made from)
const TYPES = `
SELECT n.nspname AS schema, c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_NAMESPACE}
 ORDER BY 1, 2, a.attnum`;

interface TypeRow {
  schema: string;
  table_name: string;
  name: string;
  type: string;
}

interface TableRow {
  schema: string;
  name: string;
  reltuples: number;
  relpages: number;
  total_bytes: number;
  heap_bytes: number;
  index_bytes: number;
  toast_bytes: number;
  live: number | null;
  dead: number | null;
}

interface IndexRow {
  schema: string;
  table_name: string;
  name: string;
  bytes: number;
  unique: boolean;
  columns: string[];
}

interface ColumnRow {
  schema: string;
  table_name: string;
  name: string;
  null_frac: number;
  n_distinct: number;
  avg_width: number;
  correlation: number | null;
  mcv?: (string | null)[] | null;
  mcf?: number[] | null;
  histogram?: (string | null)[] | null;
}

export async function collectStats(url: string, options: CollectOptions = {}): Promise<StatsFile> {
  // every transaction of this session is read-only, whatever is sent
  const client = await connectFor(url, 'stats', 'to read the statistics', 'check the --database-url (host, port, user, password, database)', {
    options: '-c default_transaction_read_only=on',
  });
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const server = await client.query<{ version: string; num: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num`,
    );
    const settings = await client.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name`,
      [[...SPEED_SETTINGS]],
    );
    const tables = (await client.query<TableRow>(TABLES)).rows;
    const indexes = (await client.query<IndexRow>(INDEXES)).rows;
    const columns = (await client.query<ColumnRow>(columnsSql(options.includeValues ?? false))).rows;
    const types = await client.query<TypeRow>(TYPES);
    await client.query('COMMIT');
    const version = server.rows[0]!.version.split(' ')[0]!;
    const traffic = options.traffic ? await collectTraffic(url, options.traffic) : undefined;
    return {
      kind: STATS_KIND,
      version: STATS_VERSION,
      takenAt: (options.now ?? new Date()).toISOString(),
      includesValues: options.includeValues ?? false,
      server: {
        version,
        major: Math.floor(Number(server.rows[0]!.num) / 10000),
        settings: Object.fromEntries(settings.rows.map((s) => [s.name, s.setting])),
      },
      tables: assemble(tables, indexes, columns, types.rows, options.includeValues ?? false),
      ...(traffic ? { traffic } : {}),
    };
  } catch (err) {
    throw infraError(`reading the statistics failed: ${describeError(err)}`, undefined, err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Catalog rows → the file's `tables`, keyed `schema.table`. */
export function assemble(tables: TableRow[], indexes: IndexRow[], columns: ColumnRow[], types: TypeRow[], includeValues: boolean): StatsFile['tables'] {
  const out: StatsFile['tables'] = {};
  const key = (schema: string, name: string) => `${schema}.${name}`;
  for (const t of tables) {
    // reltuples is -1 (PostgreSQL 14+) or 0 for a table never vacuumed or analysed: use the counter
    const rows = t.reltuples >= 0 && !(t.reltuples === 0 && t.relpages === 0 && (t.live ?? 0) > 0) ? t.reltuples : (t.live ?? 0);
    const stats: TableStats = {
      rows: Math.round(rows),
      relpages: t.relpages,
      totalBytes: t.total_bytes,
      heapBytes: t.heap_bytes,
      indexBytes: t.index_bytes,
      toastBytes: t.toast_bytes,
      ...(t.live !== null ? { liveTuples: t.live } : {}),
      ...(t.dead !== null ? { deadTuples: t.dead } : {}),
      indexes: {},
      columns: {},
    };
    out[key(t.schema, t.name)] = stats;
  }
  for (const i of indexes) {
    const t = out[key(i.schema, i.table_name)];
    if (!t) continue;
    const index: IndexStats = { bytes: i.bytes, columns: i.columns, unique: i.unique };
    t.indexes![i.name] = index;
  }
  for (const c of columns) {
    const t = out[key(c.schema, c.table_name)];
    if (!t) continue;
    const column: ColumnStats = {
      nullFrac: c.null_frac,
      nDistinct: c.n_distinct,
      avgWidth: c.avg_width,
      correlation: c.correlation,
      ...(includeValues && c.mcv ? { mostCommonVals: c.mcv } : {}),
      ...(includeValues && c.mcf ? { mostCommonFreqs: c.mcf } : {}),
      ...(includeValues && c.histogram ? { histogramBounds: c.histogram } : {}),
    };
    t.columns![c.name] = column;
  }
  for (const c of types) {
    const t = out[key(c.schema, c.table_name)];
    if (!t) continue;
    t.columnTypes = { ...t.columnTypes, [c.name]: c.type };
  }
  return out;
}

/** Tables whose columns the role could not read from pg_stats (no SELECT privilege) or that were never analysed. */
export function tablesWithoutColumnStats(file: StatsFile): string[] {
  return Object.entries(file.tables)
    .filter(([, t]) => t.rows > 0 && Object.keys(t.columns ?? {}).length === 0)
    .map(([name]) => name);
}
