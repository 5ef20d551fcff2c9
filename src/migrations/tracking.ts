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

async function readPrisma(client: pg.Client, layout: Layout): Promise<Applied> {
  const table = await findTable(client, '_prisma_migrations', 'Prisma migration', 'public');
  if (!table) return nothingApplied;
  requireColumns(table, 'Prisma', ['migration_name', 'finished_at', 'rolled_back_at']);
  const rows = await client.query<PrismaRow>(
    `select migration_name::text as migration_name, finished_at is not null as finished, rolled_back_at is not null as rolled_back
       from ${table.name}`,
  );
  return fromPrismaMigrations(table.name, rows.rows, layout.sources);
}

async function readDrizzle(client: pg.Client, layout: Layout): Promise<Applied> {
  const table = await findTable(client, '__drizzle_migrations', 'Drizzle migration', 'drizzle');
  if (!table) return nothingApplied;
  requireColumns(table, 'Drizzle', ['created_at']);
  // the migrator's own query: the newest row only
  const rows = await client.query<{ created_at: string | null }>(`select created_at::text as created_at from ${table.name} order by created_at desc limit 1`);
  return fromDrizzleMigrations(table.name, rows.rows[0]?.created_at, layout.sources);
}

async function readNodePgMigrate(client: pg.Client, layout: Layout): Promise<Applied> {
  const table = await findTable(client, 'pgmigrations', 'node-pg-migrate', 'public');
  if (!table) return nothingApplied;
  requireColumns(table, 'node-pg-migrate', ['name']);
  const rows = await client.query<{ name: string }>(`select name::text as name from ${table.name}`);
  return fromNodePgMigrations(
    table.name,
    rows.rows.map((r) => r.name),
    layout.sources,
  );
}

async function readFlyway(client: pg.Client): Promise<Applied> {
  const table = await findTable(client, 'flyway_schema_history', 'Flyway history');
  if (!table) return nothingApplied;
  const rows = await client.query<FlywayRow>(`select version, type, success from ${table.name} order by installed_rank`);
  return fromFlywayHistory(table.name, rows.rows);
}

async function readDiesel(client: pg.Client): Promise<Applied> {
  const table = await findTable(client, '__diesel_schema_migrations', 'diesel migration');
  if (!table) return nothingApplied;
  requireColumns(table, 'diesel', ['version']);
  const rows = await client.query<{ version: string }>(`select version::text as version from ${table.name}`);
  return fromVersionRows(
    table.name,
    rows.rows.map((r) => r.version),
  );
}

async function readSqlx(client: pg.Client): Promise<Applied> {
  const table = await findTable(client, '_sqlx_migrations', 'sqlx migration');
  if (!table) return nothingApplied;
  requireColumns(table, 'sqlx', ['version', 'success']);
  const rows = await client.query<{ version: string; success: boolean }>(`select version::text as version, success from ${table.name} order by version`);
  return fromSqlxMigrations(table.name, rows.rows);
}

async function readGoose(client: pg.Client): Promise<Applied> {
  const table = await findTable(client, 'goose_db_version', 'goose version');
  if (!table) return nothingApplied;
  requireColumns(table, 'goose', ['id', 'version_id', 'is_applied']);
  // goose's own ListMigrations query
  const rows = await client.query<{ version_id: string; is_applied: boolean }>(
    `select version_id::text as version_id, is_applied from ${table.name} order by id desc`,
  );
  return fromGooseVersions(table.name, rows.rows);
}

async function readSqitch(client: pg.Client, layout: Layout): Promise<Applied> {
  const table = await findTable(client, 'changes', 'sqitch registry', 'sqitch');
  if (!table?.name.startsWith('sqitch.')) return nothingApplied;
  requireColumns(table, 'sqitch', ['change', 'project']);
  const rows = await client.query<{ change: string }>(`select change from ${table.name} where project = $1 order by committed_at`, [layout.project ?? '']);
  return fromSqitchChanges(
    table.name,
    rows.rows.map((r) => r.change),
    layout.sources,
  );
}

async function readLiquibase(client: pg.Client, layout: Layout): Promise<Applied> {
  const table = await findTable(client, 'databasechangelog', 'Liquibase changelog');
  if (!table) return nothingApplied;
  requireColumns(table, 'Liquibase', ['id', 'author', 'exectype']);
  const rows = await client.query<{ id: string; author: string; exectype: string }>(`select id, author, exectype from ${table.name}`);
  return fromLiquibaseChangelog(table.name, rows.rows, layout.sources);
}

async function readAtlas(client: pg.Client): Promise<Applied> {
  const table = await findTable(client, 'atlas_schema_revisions', 'Atlas revisions', 'atlas_schema_revisions');
  if (!table) return nothingApplied;
  requireColumns(table, 'Atlas', ['version', 'type', 'applied', 'total']);
  const rows = await client.query<AtlasRow>(
    `select version::text as version, type::int as type, applied::int as applied, total::int as total, error from ${table.name}`,
  );
  return fromAtlasRevisions(table.name, rows.rows);
}
