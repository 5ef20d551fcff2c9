import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/core/errors.ts';
import { ensureTrackingTable, readMigrations } from '../src/migrations/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { rejection } from './helpers/errors.ts';
import { fixture, rehearseFolder } from './helpers/layouts.ts';

describe('Liquibase formatted SQL', () => {
  it('reads the changesets of the files in name order; runInTransaction:false, dbms, --rollback lines and blocks', async () => {
    const set = await readMigrations(fixture('liquibase'), {});
    expect(set.format).toBe('liquibase');
    // bob:oracle-only (dbms:oracle) is left out, as Liquibase skips it on PostgreSQL
    expect(set.migrations.map((m) => [m.id, m.name, m.up.inTransaction, m.down?.statements.map((s) => s.kind)])).toEqual([
      ['1', 'alice:1', true, ['DropStmt']],
      ['2', 'alice:2', true, ['DropStmt', 'DropStmt']],
      ['3', 'bob:orders-status-idx', false, ['DropStmt']],
      ['4', 'carol:ltree-paths', true, ['AlterTableStmt', 'DropStmt']],
    ]);
    const ltree = set.migrations[3]!;
    expect(ltree.up.statements.map((s) => [s.line, s.kind])).toEqual([
      [13, 'CreateExtensionStmt'],
      [14, 'AlterTableStmt'],
    ]);
    expect(set.migrations[1]!.down!.statements.map((s) => s.line)).toEqual([18, 19]);
  });

  it('replays the changesets databasechangelog does not record; their rollbacks undo them', async () => {
    const url = await freshDatabase('liquibase');
    await ensureTrackingTable(url, 'liquibase');
    const first = (await readMigrations(fixture('liquibase'), {})).migrations[0]!;
    for (const s of first.up.statements) await sql(url, s.sql);
    await sql(
      url,
      `INSERT INTO databasechangelog (id, author, filename, dateexecuted, orderexecuted, exectype, md5sum)
       VALUES ('1', 'alice', 'db/changelog/001_schema.sql', now(), 1, 'EXECUTED', '9:0')`,
    );
    const { set, up, replayed, rollBack } = await rehearseFolder(url, fixture('liquibase'));
    expect(set.trackingTable).toBe('databasechangelog');
    expect(replayed).toEqual([
      ['2', 'applied'],
      ['3', 'applied'],
      ['4', 'applied'],
    ]);
    expect(up.migrations[1]!.statements[0]).toMatchObject({ line: 4, kind: 'IndexStmt', inTransaction: false });
    const refused = await sql(url, `SELECT 1`)
      .then(() => sql(url, `INSERT INTO orders (total) VALUES (-1)`))
      .catch((e: Error) => e.message);
    expect(refused).toContain("has a negative total; it's refused");
    expect((await rollBack()).ok).toBe(true);
    expect(await sql(url, `SELECT to_regclass('orders_status_idx') AS i, (SELECT count(*)::int FROM pg_extension WHERE extname = 'ltree') AS e`)).toEqual([
      { i: null, e: 0 },
    ]);
  });

  it('a changeset without an id: one clear message, exit 2', async () => {
    const err = await rejection(readMigrations(fixture('liquibase-no-id'), {}));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toBe(
      'test/fixtures-migrations/liquibase-no-id/001_schema.sql:6: the changeset has no id ("--changeset alice"); Liquibase refuses it too',
    );
    expect(err.hint).toBe('write it as --changeset author:id (e.g. --changeset alice:add-orders-index)');
  });
});
