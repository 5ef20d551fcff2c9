import pg from 'pg';
import { RehearseError, infraError, usageError } from '../core/errors.ts';
import type { Layout } from './layouts.ts';
import type { MigrationFormat } from './types.ts';
import {
  FROM_HINT,
  fromDrizzleMigrations,
  fromAtlasRevisions,
  fromFlywayHistory,
  fromGolangMigrate,
  fromGooseVersions,
  fromLiquibaseChangelog,
  fromSqitchChanges,
  fromSqlxMigrations,
  fromNodePgMigrations,
  fromPrismaMigrations,
  fromVersionRows,
  nothingApplied,
  type Applied,
  type AtlasRow,
  type FlywayRow,
  type PrismaRow,
} from './pending.ts';

type Reader = (client: pg.Client, layout: Layout) => Promise<Applied>;

/** Each layout's tracking table reader; plain, golang-migrate and dbmate share `schema_migrations`. */
const READERS: Record<MigrationFormat, Reader> = {
  plain: readSchemaMigrations,
  'golang-migrate': readSchemaMigrations,
  dbmate: readSchemaMigrations,
  flyway: readFlyway,
  prisma: readPrisma,
  drizzle: readDrizzle,
  'node-pg-migrate': readNodePgMigrate,
  diesel: readDiesel,
  sqlx: readSqlx,
  goose: readGoose,
  sqitch: readSqitch,
  liquibase: readLiquibase,
  atlas: readAtlas,
};

/**
 * Reads the migration tool's tracking table from the loaded database. I/O only: the rows it finds
 * are interpreted by the pure functions of pending.ts.
 *
 * - plain, golang-migrate, dbmate: `schema_migrations` as the search_path resolves it; a `dirty`
 *   column means golang-migrate's shape (one row, the current version), otherwise one row per version.
 * - Flyway: `flyway_schema_history` on the search_path, else in whichever schema holds it.
 * - Prisma: `_prisma_migrations` in `public` (Prisma's default schema), else on the search_path, else
 *   in whichever schema holds it.
 * - Drizzle: `__drizzle_migrations` in the `drizzle` schema (drizzle-orm's default), else on the
 *   search_path, else in whichever schema holds it.
 * - node-pg-migrate: `pgmigrations` in `public` (its default schema), else as for Prisma.
 */
export async function readApplied(url: string, layout: Layout): Promise<Applied> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw infraError(
      `cannot connect to the loaded database to read what is applied: ${(err as Error).message}`,
      'check that the server is running and reachable',
      err,
    );
  }
  try {
    return await READERS[layout.format](client, layout);
  } catch (err) {
    if (err instanceof RehearseError) throw err;
    throw infraError(`cannot read the migration tracking table: ${(err as Error).message}`, FROM_HINT, err);
  } finally {
    await client.end().catch(() => {});
  }
}

async function readSchemaMigrations(client: pg.Client): Promise<Applied> {
  const found = await client.query<{ name: string; columns: string[] }>(
    `select c.oid::regclass::text as name,
            array_agg(a.attname::text order by a.attnum) as columns
       from pg_class c
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where c.oid = to_regclass('schema_migrations')
      group by c.oid`,
  );
  const table = found.rows[0];
  if (!table) return nothingApplied;
  if (!table.columns.includes('version')) {
    throw usageError(`${table.name} has no version column (columns: ${table.columns.join(', ')}); no supported tool writes that shape`, FROM_HINT);
  }
  if (table.columns.includes('dirty')) {
    const rows = await client.query<{ version: string; dirty: boolean }>(`select version::text as version, dirty from ${table.name}`);
    return fromGolangMigrate(table.name, rows.rows);
  }
  const rows = await client.query<{ version: string }>(`select version::text as version from ${table.name}`);
  return fromVersionRows(
    table.name,
    rows.rows.map((r) => r.version),
  );
}

interface FoundTable {
  /** as regclass prints it: schema-qualified when not on the search_path */
  name: string;
  columns: string[];
}

/**
 * The tool's table `relname`: in `preferSchema` (the tool's default) if there, else the one the
 * search_path sees, else the only one; several elsewhere and none of these is ambiguous (usage error).
 */
async function findTable(client: pg.Client, relname: string, tool: string, preferSchema?: string): Promise<FoundTable | undefined> {
  const found = await client.query<FoundTable & { schema: string; visible: boolean }>(
    `select c.oid::regclass::text as name, n.nspname::text as schema, pg_table_is_visible(c.oid) as visible,
            array(select a.attname::text from pg_attribute a
                   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname = $1 and c.relkind in ('r', 'p', 'v', 'f')
      order by visible desc, name`,
    [relname],
  );
  const table =
    found.rows.find((r) => preferSchema !== undefined && r.schema === preferSchema) ??
    found.rows.find((r) => r.visible) ??
    (found.rows.length === 1 ? found.rows[0] : undefined);
  if (!table && found.rows.length > 1) {
    throw usageError(`the database has several ${tool} tables (${found.rows.map((r) => r.name).join(', ')}) and none on the search_path`, FROM_HINT);
  }
  return table && { name: table.name, columns: table.columns };
}

/** A usage error when the table lacks columns the tool writes. */
function requireColumns(table: FoundTable, tool: string, needed: string[]): void {
  const missing = needed.filter((c) => !table.columns.includes(c));
  if (missing.length === 0) return;
  throw usageError(`${table.name} has no ${missing.join(', ')} column (columns: ${table.columns.join(', ')}); it is not the table ${tool} writes`, FROM_HINT);
}

/** Where a tool keeps what it applied. */
interface ToolTable {
  relname: string;
  /** what the table is, for messages: "several Prisma migration tables" */
  what: string;
  /** the tool, for messages: "not the table Prisma writes" */
  tool: string;
  /** the tool's default schema, looked in first */
  schema?: string;
  /** only the table in `schema` counts (sqitch's `changes` is too common a name) */
  schemaOnly?: boolean;
  /** the columns the tool writes and the reader reads */
  columns: string[];
}

/**
 * The rows `select` reads from the tool's table, with the table's name; undefined when there is no
 * such table (nothing applied). A table without the tool's columns is a usage error.
 */
async function trackingRows<R extends pg.QueryResultRow>(
  client: pg.Client,
  spec: ToolTable,
  select: (table: string) => string,
  params?: unknown[],
): Promise<{ table: string; rows: R[] } | undefined> {
  const table = await findTable(client, spec.relname, spec.what, spec.schema);
  if (!table || (spec.schemaOnly && !table.name.startsWith(`${spec.schema}.`))) return undefined;
  requireColumns(table, spec.tool, spec.columns);
  return { table: table.name, rows: (await client.query<R>(select(table.name), params)).rows };
}

async function readPrisma(client: pg.Client, layout: Layout): Promise<Applied> {
  const found = await trackingRows<PrismaRow>(
    client,
    { relname: '_prisma_migrations', what: 'Prisma migration', tool: 'Prisma', schema: 'public', columns: ['migration_name', 'finished_at', 'rolled_back_at'] },
    (t) => `select migration_name::text as migration_name, finished_at is not null as finished, rolled_back_at is not null as rolled_back
       from ${t}`,
  );
  return found ? fromPrismaMigrations(found.table, found.rows, layout.sources) : nothingApplied;
}

async function readDrizzle(client: pg.Client, layout: Layout): Promise<Applied> {
  // the migrator's own query: the newest row only
  const found = await trackingRows<{ created_at: string | null }>(
    client,
    { relname: '__drizzle_migrations', what: 'Drizzle migration', tool: 'Drizzle', schema: 'drizzle', columns: ['created_at'] },
    (t) => `select created_at::text as created_at from ${t} order by created_at desc limit 1`,
  );
  return found ? fromDrizzleMigrations(found.table, found.rows[0]?.created_at, layout.sources) : nothingApplied;
}

async function readNodePgMigrate(client: pg.Client, layout: Layout): Promise<Applied> {
  const found = await trackingRows<{ name: string }>(
    client,
    { relname: 'pgmigrations', what: 'node-pg-migrate', tool: 'node-pg-migrate', schema: 'public', columns: ['name'] },
    (t) => `select name::text as name from ${t}`,
  );
  return found
    ? fromNodePgMigrations(
        found.table,
        found.rows.map((r) => r.name),
        layout.sources,
      )
    : nothingApplied;
}

async function readFlyway(client: pg.Client): Promise<Applied> {
  const found = await trackingRows<FlywayRow>(
    client,
    { relname: 'flyway_schema_history', what: 'Flyway history', tool: 'Flyway', columns: [] },
    (t) => `select version, type, success from ${t} order by installed_rank`,
  );
  return found ? fromFlywayHistory(found.table, found.rows) : nothingApplied;
}

async function readDiesel(client: pg.Client): Promise<Applied> {
  const found = await trackingRows<{ version: string }>(
    client,
    { relname: '__diesel_schema_migrations', what: 'diesel migration', tool: 'diesel', columns: ['version'] },
    (t) => `select version::text as version from ${t}`,
  );
  return found
    ? fromVersionRows(
        found.table,
        found.rows.map((r) => r.version),
      )
    : nothingApplied;
}

async function readSqlx(client: pg.Client): Promise<Applied> {
  const found = await trackingRows<{ version: string; success: boolean }>(
    client,
    { relname: '_sqlx_migrations', what: 'sqlx migration', tool: 'sqlx', columns: ['version', 'success'] },
    (t) => `select version::text as version, success from ${t} order by version`,
  );
  return found ? fromSqlxMigrations(found.table, found.rows) : nothingApplied;
}

async function readGoose(client: pg.Client): Promise<Applied> {
  // goose's own ListMigrations query
  const found = await trackingRows<{ version_id: string; is_applied: boolean }>(
    client,
    { relname: 'goose_db_version', what: 'goose version', tool: 'goose', columns: ['id', 'version_id', 'is_applied'] },
    (t) => `select version_id::text as version_id, is_applied from ${t} order by id desc`,
  );
  return found ? fromGooseVersions(found.table, found.rows) : nothingApplied;
}

async function readSqitch(client: pg.Client, layout: Layout): Promise<Applied> {
  const found = await trackingRows<{ change: string }>(
    client,
    { relname: 'changes', what: 'sqitch registry', tool: 'sqitch', schema: 'sqitch', schemaOnly: true, columns: ['change', 'project'] },
    (t) => `select change from ${t} where project = $1 order by committed_at`,
    [layout.project ?? ''],
  );
  return found
    ? fromSqitchChanges(
        found.table,
        found.rows.map((r) => r.change),
        layout.sources,
      )
    : nothingApplied;
}

async function readLiquibase(client: pg.Client, layout: Layout): Promise<Applied> {
  const found = await trackingRows<{ id: string; author: string; exectype: string }>(
    client,
    { relname: 'databasechangelog', what: 'Liquibase changelog', tool: 'Liquibase', columns: ['id', 'author', 'exectype'] },
    (t) => `select id, author, exectype from ${t}`,
  );
  return found ? fromLiquibaseChangelog(found.table, found.rows, layout.sources) : nothingApplied;
}

async function readAtlas(client: pg.Client): Promise<Applied> {
  const found = await trackingRows<AtlasRow>(
    client,
    {
      relname: 'atlas_schema_revisions',
      what: 'Atlas revisions',
      tool: 'Atlas',
      schema: 'atlas_schema_revisions',
      columns: ['version', 'type', 'applied', 'total'],
    },
    (t) => `select version::text as version, type::int as type, applied::int as applied, total::int as total, error from ${t}`,
  );
  return found ? fromAtlasRevisions(found.table, found.rows) : nothingApplied;
}
