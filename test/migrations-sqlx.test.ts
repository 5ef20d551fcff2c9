import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/core/errors.ts';
import { ensureTrackingTable, readMigrations } from '../src/migrations/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { rejection } from './helpers/errors.ts';
import { fixture, rehearseFolder } from './helpers/layouts.ts';

describe('sqlx', () => {
  it('reads reversible migrations by version; "-- no-transaction" in the first bytes runs the file outside a transaction', async () => {
    const set = await readMigrations(fixture('sqlx'), {});
    expect(set.format).toBe('sqlx');
    expect(set.migrations.map((m) => [m.id, m.name, m.up.inTransaction, m.down?.inTransaction])).toEqual([
      ['20240101000000', 'create accounts', true, true],
      ['20240102000000', 'accounts email index', false, false],
      ['20240103000000', 'audit trigger', true, true],
    ]);
    expect(set.migrations[2]!.up.statements.map((s) => [s.line, s.kind])).toEqual([
      [1, 'CreateStmt'],
      [3, 'CreateFunctionStmt'],
      [11, 'CreateTrigStmt'],
    ]);
  });

  it('replays what _sqlx_migrations does not record; the downs roll it back', async () => {
    const url = await freshDatabase('sqlx');
    await ensureTrackingTable(url, 'sqlx');
    const first = (await readMigrations(fixture('sqlx'), {})).migrations[0]!;
    for (const s of first.up.statements) await sql(url, s.sql);
    await sql(
      url,
      `INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (20240101000000, 'create accounts', true, '\\x00', 1000)`,
    );

    const { set, up, replayed, rollBack } = await rehearseFolder(url, fixture('sqlx'));
    expect(set.trackingTable).toBe('_sqlx_migrations');
    expect(replayed).toEqual([
      ['20240102000000', 'applied'],
      ['20240103000000', 'applied'],
    ]);
    expect(up.migrations[0]!.statements[0]!).toMatchObject({ line: 2, kind: 'IndexStmt', inTransaction: false });
    // the trigger with nested quotes works: an insert is audited
    await sql(url, `INSERT INTO accounts (email) VALUES ('x@y')`);
    expect(await sql(url, 'SELECT note FROM account_audit')).toEqual([{ note: "created 'x@y' ; done" }]);
    expect((await rollBack()).ok).toBe(true);
    expect(await sql(url, `SELECT to_regclass('accounts_email_key') AS i, to_regclass('account_audit') AS t`)).toEqual([{ i: null, t: null }]);
  });

  it('a row with success = false stops it, as sqlx stops (Dirty)', async () => {
    const url = await freshDatabase('sqlx_dirty');
    await ensureTrackingTable(url, 'sqlx');
    await sql(
      url,
      `INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (20240101000000, 'create accounts', false, '\\x00', 1)`,
    );
    const err = await rejection(readMigrations(fixture('sqlx'), { url }));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toContain('_sqlx_migrations records version 20240101000000 as partially applied');
  });
});
