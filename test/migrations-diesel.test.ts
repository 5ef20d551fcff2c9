import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/core/errors.ts';
import { dieselVersion, runInTransaction } from '../src/migrations/diesel.ts';
import { ensureTrackingTable, readMigrations } from '../src/migrations/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { rejection } from './helpers/errors.ts';
import { fixture, rehearseFolder } from './helpers/layouts.ts';

describe('diesel', () => {
  it('reads the folders in version order, dashes out of the version, metadata.toml honoured', async () => {
    const set = await readMigrations(fixture('diesel'), {});
    expect(set.format).toBe('diesel');
    expect(set.migrations.map((m) => [m.id, m.name, m.up.inTransaction, Boolean(m.down)])).toEqual([
      ['00000000000000', 'diesel_initial_setup', true, true],
      ['20190226002946', 'create_users', true, true],
      ['20190301101500', 'users_name_trgm', false, true],
      ['202405020930000000', 'guard_migrations', true, true],
    ]);
    const setup = set.migrations[0]!;
    expect(setup.up.statements.map((s) => [s.line, s.kind])).toEqual([
      [19, 'CreateFunctionStmt'],
      [26, 'CreateFunctionStmt'],
    ]);
    expect(set.migrations[2]!.up.statements.map((s) => [s.line, s.transactional])).toEqual([
      [2, true],
      [3, false],
    ]);
  });

  it('version and run_in_transaction as diesel reads them', () => {
    expect(dieselVersion('2019-02-26-002946_create_posts')).toBe('20190226002946');
    expect(dieselVersion('2024-01-01-120000-0000_x')).toBe('202401011200000000');
    expect(runInTransaction(undefined)).toBe(true);
    expect(runInTransaction('run_in_transaction = false\n')).toBe(false);
    expect(runInTransaction('# nothing set\nother = 1\n')).toBe(false); // serde's default for a bool
    expect(runInTransaction('run_in_transaction = "maybe"')).toBe(true); // unparsable: diesel's default
  });

  it('replays what __diesel_schema_migrations does not record, in order; the downs roll it back', async () => {
    const url = await freshDatabase('diesel');
    // the database as diesel left it: its table (setup_migration_table.sql), two migrations applied
    await sql(
      url,
      `CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
    );
    const set0 = await readMigrations(fixture('diesel'), {});
    for (const m of set0.migrations.slice(0, 2)) for (const s of m.up.statements) await sql(url, s.sql);
    await sql(url, `INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000000'), ('20190226002946')`);

    const { set, up, down, replayed } = await rehearseFolder(url, fixture('diesel'), { rollback: true });
    expect(set.trackingTable).toBe('__diesel_schema_migrations');
    expect(replayed).toEqual([
      ['20190301101500', 'applied'],
      ['202405020930000000', 'applied'],
    ]);
    expect(up.ok).toBe(true);
    const index = up.migrations[0]!.statements[1]!;
    expect([index.file.endsWith('2019-03-01-101500_users_name_trgm/up.sql'), index.line, index.inTransaction, index.lockSource]).toEqual([
      true,
      3,
      false,
      'sampled',
    ]);
    // the history's trigger on diesel's own table is there after the replay
    const guard = up.migrations[1]!;
    expect(guard.statements.map((s) => [s.line, s.kind])).toEqual([
      [2, 'CreateFunctionStmt'],
      [11, 'CreateTrigStmt'],
      [14, 'DoStmt'],
    ]);
    expect(down!.ok).toBe(true);
    expect(down!.migrations.map((m) => m.id)).toEqual(['202405020930000000', '20190301101500']);
    expect(await sql(url, `SELECT to_regclass('users_name_trgm') AS r, to_regproc('guard_migrations') AS f`)).toEqual([{ r: null, f: null }]);
  });

  it('on an empty database the table exists before the replay, and the guard trigger on it replays', async () => {
    const url = await freshDatabase('diesel_empty');
    expect(await ensureTrackingTable(url, 'diesel')).toBe('__diesel_schema_migrations');
    expect(await ensureTrackingTable(url, 'diesel')).toBeNull();
    const { up, replayed } = await rehearseFolder(url, fixture('diesel'));
    expect(up.ok).toBe(true);
    expect(replayed.map(([, status]) => status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    // nothing recorded: the guard would refuse the rehearsal's own rows
    expect(await sql(url, 'SELECT count(*)::int AS n FROM __diesel_schema_migrations')).toEqual([{ n: 0 }]);
  });

  it('a migration folder without up.sql: one clear message, exit 2', async () => {
    const err = await rejection(readMigrations(fixture('diesel-missing-up'), {}));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toBe(
      'test/fixtures-migrations/diesel-missing-up/2019-03-01-101500_add_email has no up.sql; diesel refuses such a migrations folder too (UnknownMigrationFormat)',
    );
    expect(err.hint).toBe('add the up.sql file or remove the folder');
  });
});
