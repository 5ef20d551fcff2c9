import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RehearseError } from '../src/core/errors.ts';
import { readMigrations, type MigrationSet } from '../src/migrations/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';

const fixture = (name: string) => path.join('test/fixtures-migrations', name);

/** id → pending, in order */
const pending = (set: MigrationSet) => set.migrations.map((m) => [m.id, m.pending]);

async function refused(promise: Promise<unknown>): Promise<RehearseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RehearseError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

const golangTable = 'CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)';
const dbmateTable = 'CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)';
const flywayTable = (schema: string) => `
  CREATE TABLE ${schema}.flyway_schema_history (
    installed_rank integer PRIMARY KEY,
    version varchar(50),
    description varchar(200) NOT NULL,
    type varchar(20) NOT NULL,
    script varchar(1000) NOT NULL,
    checksum integer,
    installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(),
    execution_time integer NOT NULL,
    success boolean NOT NULL
  )`;
const flywayRow = (rank: number, version: string | null, type: string, success: boolean) =>
  `(${rank}, ${version === null ? 'NULL' : `'${version}'`}, 'd', '${type}', 's', 0, 'me', now(), 1, ${success})`;

describe('readMigrations: what is pending', () => {
  it('without a tracking table everything is pending', async () => {
    const url = await freshDatabase('mig');
    const set = await readMigrations(fixture('golang-migrate'), { url });
    expect(set.trackingTable).toBeNull();
    expect(pending(set)).toEqual([
      ['1', true],
      ['2', true],
      ['10', true],
    ]);
  });

  it('golang-migrate: the one row is the current version; all versions up to it are applied', async () => {
    const url = await freshDatabase('mig');
    await sql(url, `${golangTable}; INSERT INTO schema_migrations VALUES (2, false)`);
    const set = await readMigrations(fixture('golang-migrate'), { url });
    expect(set.trackingTable).toBe('schema_migrations');
    expect(pending(set)).toEqual([
      ['1', false],
      ['2', false],
      ['10', true],
    ]);
  });

  it('golang-migrate: an empty table means nothing applied', async () => {
    const url = await freshDatabase('mig');
    await sql(url, golangTable);
    const set = await readMigrations(fixture('golang-migrate'), { url });
    expect(set.trackingTable).toBe('schema_migrations');
    expect(set.migrations.every((m) => m.pending)).toBe(true);
  });

  it('golang-migrate: a dirty version is refused, as golang-migrate refuses it', async () => {
    const url = await freshDatabase('mig');
    await sql(url, `${golangTable}; INSERT INTO schema_migrations VALUES (2, true)`);
    const err = await refused(readMigrations(fixture('golang-migrate'), { url }));
    expect(err.kind).toBe('usage');
    expect(err.message).toContain('version 2 dirty');
    // --from decides without reading the table
    const set = await readMigrations(fixture('golang-migrate'), { url, from: '1' });
    expect(pending(set)).toEqual([
      ['1', false],
      ['2', true],
      ['10', true],
    ]);
  });

  it('dbmate: one row per applied version', async () => {
    const url = await freshDatabase('mig');
    await sql(url, `${dbmateTable}; INSERT INTO schema_migrations VALUES ('20240101120000'), ('20240301000000')`);
    const set = await readMigrations(fixture('dbmate'), { url });
    expect(set.trackingTable).toBe('schema_migrations');
    expect(pending(set)).toEqual([
      ['20240101120000', false],
      ['20240215093000', true],
      ['20240301000000', false],
    ]);
  });

  it('plain: either shape of schema_migrations; versions match numerically (001 = 1)', async () => {
    const url = await freshDatabase('mig');
    await sql(url, `${dbmateTable}; INSERT INTO schema_migrations VALUES ('001'), ('10')`);
    expect(pending(await readMigrations(fixture('plain'), { url }))).toEqual([
      ['1', false],
      ['2', true],
      ['10', false],
    ]);
  });

  it('a schema_migrations outside the search_path is not consulted', async () => {
    const url = await freshDatabase('mig');
    await sql(
      url,
      `CREATE SCHEMA elsewhere; CREATE TABLE elsewhere.schema_migrations (version bigint, dirty boolean);
      INSERT INTO elsewhere.schema_migrations VALUES (10, false)`,
    );
    const set = await readMigrations(fixture('golang-migrate'), { url });
    expect(set.trackingTable).toBeNull();
    expect(set.migrations.every((m) => m.pending)).toBe(true);
  });

  it('Flyway: successful versioned rows are applied; failed ones and repeatables are not', async () => {
    const url = await freshDatabase('mig');
    await sql(
      url,
      `${flywayTable('public')}; INSERT INTO flyway_schema_history VALUES
        ${flywayRow(1, '1', 'SQL', true)},
        ${flywayRow(2, '1.2', 'SQL', true)},
        ${flywayRow(3, null, 'SQL', true)},
        ${flywayRow(4, '1.10', 'SQL', false)}`,
    );
    const set = await readMigrations(fixture('flyway'), { url });
    expect(set.trackingTable).toBe('flyway_schema_history');
    expect(pending(set)).toEqual([
      ['1', false],
      ['1.2', false],
      ['1.10', true],
      ['2.1', true],
    ]);
  });

  it('Flyway: a history table in another schema, with a baseline and an undo', async () => {
    const url = await freshDatabase('mig');
    await sql(
      url,
      `CREATE SCHEMA app; ${flywayTable('app')}; INSERT INTO app.flyway_schema_history VALUES
        ${flywayRow(1, '1', 'BASELINE', true)},
        ${flywayRow(2, '1.2', 'SQL', true)},
        ${flywayRow(3, '1.10', 'SQL', true)},
        ${flywayRow(4, '1.10', 'UNDO_SQL', true)}`,
    );
    const set = await readMigrations(fixture('flyway'), { url });
    expect(set.trackingTable).toBe('app.flyway_schema_history');
    expect(pending(set)).toEqual([
      ['1', false],
      ['1.2', false],
      ['1.10', true],
      ['2.1', true],
    ]);
  });

  it('--from overrides the tracking table, comparing versions numerically', async () => {
    const url = await freshDatabase('mig');
    await sql(url, `${flywayTable('public')}; INSERT INTO flyway_schema_history VALUES ${flywayRow(1, '2.1', 'SQL', true)}`);
    const set = await readMigrations(fixture('flyway'), { url, from: '1.2' });
    expect(set.trackingTable).toBeNull();
    expect(pending(set)).toEqual([
      ['1', false],
      ['1.2', false],
      ['1.10', true],
      ['2.1', true],
    ]);
    // without a database too; Flyway's underscore spelling is accepted
    expect(pending(await readMigrations(fixture('flyway'), { from: '1_10' })).map(([, p]) => p)).toEqual([false, false, false, true]);
    expect(pending(await readMigrations(fixture('plain'), { from: '2' })).map(([, p]) => p)).toEqual([false, false, true]);
    expect(pending(await readMigrations(fixture('plain'), { from: '0' })).map(([, p]) => p)).toEqual([true, true, true]);
  });

  it('a --from that is not a version is a usage error', async () => {
    const err = await refused(readMigrations(fixture('plain'), { from: 'latest' }));
    expect(err.kind).toBe('usage');
    expect(err.message).toBe('--from latest is not a migration version');
  });

  it('an unreachable database is an infrastructure error', async () => {
    const err = await refused(readMigrations(fixture('plain'), { url: 'postgresql://nobody@127.0.0.1:1/none' }));
    expect(err.kind).toBe('infrastructure');
  });
});
