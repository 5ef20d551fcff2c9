import pg from 'pg';
import { RehearseError, infraError, usageError } from '../errors.ts';
import { FROM_HINT, fromFlywayHistory, fromGolangMigrate, fromVersionRows, nothingApplied, type Applied, type FlywayRow } from './pending.ts';
import type { MigrationFormat } from './types.ts';

/**
 * Reads the migration tool's tracking table from the loaded database. I/O only: the rows it finds
 * are interpreted by the pure functions of pending.ts.
 *
 * - plain, golang-migrate, dbmate: `schema_migrations` as the search_path resolves it; a `dirty`
 *   column means golang-migrate's shape (one row, the current version), otherwise one row per version.
 * - Flyway: `flyway_schema_history` on the search_path, else in whichever schema holds it.
 */
export async function readApplied(url: string, format: MigrationFormat): Promise<Applied> {
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
    return format === 'flyway' ? await readFlyway(client) : await readSchemaMigrations(client);
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
    throw usageError(
      `${table.name} has no version column (columns: ${table.columns.join(', ')}); no supported tool writes that shape`,
      FROM_HINT,
    );
  }
  if (table.columns.includes('dirty')) {
    const rows = await client.query<{ version: string; dirty: boolean }>(
      `select version::text as version, dirty from ${table.name}`,
    );
    return fromGolangMigrate(table.name, rows.rows);
  }
  const rows = await client.query<{ version: string }>(`select version::text as version from ${table.name}`);
  return fromVersionRows(
    table.name,
    rows.rows.map((r) => r.version),
  );
}

async function readFlyway(client: pg.Client): Promise<Applied> {
  const found = await client.query<{ name: string; visible: boolean }>(
    `select c.oid::regclass::text as name, pg_table_is_visible(c.oid) as visible
       from pg_class c
      where c.relname = 'flyway_schema_history' and c.relkind in ('r', 'p', 'v', 'f')
      order by visible desc, name`,
  );
  const visible = found.rows.find((r) => r.visible);
  if (!visible && found.rows.length > 1) {
    throw usageError(
      `the database has several Flyway history tables (${found.rows.map((r) => r.name).join(', ')}) and none on the search_path`,
      FROM_HINT,
    );
  }
  const table = visible ?? found.rows[0];
  if (!table) return nothingApplied;
  const rows = await client.query<FlywayRow>(
    `select version, type, success from ${table.name} order by installed_rank`,
  );
  return fromFlywayHistory(table.name, rows.rows);
}
