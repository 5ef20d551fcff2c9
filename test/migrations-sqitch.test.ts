import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/core/errors.ts';
import { ensureTrackingTable, readMigrations } from '../src/migrations/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { rejection } from './helpers/errors.ts';
import { fixture, rehearseFolder } from './helpers/layouts.ts';

describe('sqitch', () => {
  it('reads the plan in order, a reworked change from its tagged files; deploy, revert and verify scripts', async () => {
    const set = await readMigrations(fixture('sqitch'), {});
    expect(set.format).toBe('sqitch');
    expect(set.project).toBe('flipr');
    expect(set.migrations.map((m) => [m.id, m.name, m.up.file.split('/').slice(-2).join('/'), m.up.inTransaction, Boolean(m.down), Boolean(m.verify)])).toEqual(
      [
        ['1', 'appschema', 'deploy/appschema.sql', false, true, true],
        ['2', 'users', 'deploy/users@v1.0.0-dev1.sql', false, true, true],
        ['3', 'countries', 'deploy/countries.sql', false, true, true],
        ['4', 'users', 'deploy/users.sql', false, true, true],
      ],
    );
    // psql's \set is skipped; the COPY rows go with their statement, lines stay lines of the file
    const countries = set.migrations[2]!.up.statements;
    expect(countries.map((s) => [s.line, s.kind])).toEqual([
      [5, 'TransactionStmt'],
      [7, 'CreateStmt'],
      [12, 'CopyStmt'],
      [18, 'TransactionStmt'],
    ]);
    expect(countries[2]!.copyData).toBe("FR\tFrance\nCI\tCôte d'Ivoire\nGB\tUnited Kingdom; of Great Britain\n");
  });

  it('replays what sqitch.changes does not record, verifies each change, and reverts', async () => {
    const url = await freshDatabase('sqitch');
    await ensureTrackingTable(url, 'sqitch', 'flipr');
    const set0 = await readMigrations(fixture('sqitch'), {});
    for (const m of set0.migrations.slice(0, 2)) for (const s of m.up.statements) await sql(url, s.sql);
    await sql(
      url,
      `INSERT INTO sqitch.changes (change_id, script_hash, change, project, committer_name, committer_email, planned_at, planner_name, planner_email)
       VALUES ('a1', 'h1', 'appschema', 'flipr', 'Marge', 'marge@example.com', now(), 'Marge', 'marge@example.com'),
              ('a2', 'h2', 'users', 'flipr', 'Marge', 'marge@example.com', now(), 'Marge', 'marge@example.com')`,
    );
    const { set, up, replayed, rollBack } = await rehearseFolder(url, fixture('sqitch'));
    expect(set.trackingTable).toBe('sqitch.changes');
    expect(replayed).toEqual([
      ['3', 'applied'],
      ['4', 'applied'],
    ]);
    const copy = up.migrations[0]!.statements.find((s) => s.kind === 'CopyStmt')!;
    expect([copy.line, copy.rowsAffected, copy.inTransaction]).toEqual([12, 3, true]);
    expect(up.migrations.map((m) => [m.verify?.ok, m.verify?.file.split('/').slice(-2).join('/')])).toEqual([
      [true, 'verify/countries.sql'],
      [true, 'verify/users.sql'],
    ]);
    expect(await sql(url, `SELECT name FROM flipr.countries WHERE code = 'CI'`)).toEqual([{ name: "Côte d'Ivoire" }]);
    expect((await rollBack()).ok).toBe(true);
    expect(await sql(url, `SELECT to_regclass('flipr.countries') AS t`)).toEqual([{ t: null }]);
  });

  it('a failing verify fails its change', async () => {
    const url = await freshDatabase('sqitch_verify');
    const set = await readMigrations(fixture('sqitch'), {});
    const { replay } = await import('../src/replay/index.ts');
    const { silentLogger } = await import('../src/core/log.ts');
    const broken = { ...set.migrations[0]!, verify: { ...set.migrations[1]!.verify! } }; // verifies users before they exist
    const result = await replay({ url, migrations: [broken], log: silentLogger });
    expect(result.ok).toBe(false);
    expect(result.migrations[0]!.status).toBe('failed');
    expect(result.migrations[0]!.verify).toMatchObject({ ok: false, error: { sqlstate: '42P01', line: 6 } });
  });

  it('a plan naming a missing deploy file: one clear message, exit 2', async () => {
    const err = await rejection(readMigrations(fixture('sqitch-missing-file'), {}));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toBe(
      'test/fixtures-migrations/sqitch-missing-file/sqitch.plan:9 names change countries, but test/fixtures-migrations/sqitch-missing-file/deploy/countries.sql does not exist',
    );
    expect(err.hint).toBe('add the deploy script (sqitch add writes it) or remove the change from the plan');
  });
});
