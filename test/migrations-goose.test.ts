import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/core/errors.ts';
import { ensureTrackingTable, readMigrations } from '../src/migrations/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { rejection } from './helpers/errors.ts';
import { fixture, rehearseFolder } from './helpers/layouts.ts';

describe('goose', () => {
  it('reads the sections, StatementBegin/End and NO TRANSACTION; lines are lines of the whole file', async () => {
    const set = await readMigrations(fixture('goose'), {});
    expect(set.format).toBe('goose');
    expect(set.migrations.map((m) => [m.id, m.name, m.up.inTransaction, m.down?.statements.length])).toEqual([
      ['00001', 'create_posts', true, 1],
      ['00002', 'posts_search', true, 3],
      ['00003', 'posts_search_index', false, 1],
      ['00004', 'migration_status_view', true, 1],
    ]);
    expect(set.migrations[1]!.up.statements.map((s) => [s.line, s.kind])).toEqual([
      [2, 'AlterTableStmt'],
      [5, 'CreateFunctionStmt'],
      [13, 'CreateTrigStmt'],
    ]);
    expect(set.migrations[1]!.down!.statements[0]!.line).toBe(17);
  });

  it('replays what goose_db_version says is not applied (the newest row of a version decides); the downs roll it back', async () => {
    const url = await freshDatabase('goose');
    await ensureTrackingTable(url, 'goose'); // goose's CREATE TABLE and its version-0 row
    const set0 = await readMigrations(fixture('goose'), {});
    for (const s of set0.migrations[0]!.up.statements) await sql(url, s.sql);
    // 1 applied; 2 applied then rolled back (goose down before v3.? wrote is_applied = false)
    await sql(url, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, true), (2, true), (2, false)`);

    const { set, up, replayed, rollBack } = await rehearseFolder(url, fixture('goose'));
    expect(set.trackingTable).toBe('goose_db_version');
    expect(replayed).toEqual([
      ['00002', 'applied'],
      ['00003', 'applied'],
      ['00004', 'applied'],
    ]);
    expect(up.migrations[1]!.statements[0]).toMatchObject({ line: 3, kind: 'IndexStmt', inTransaction: false });
    // the view over goose's own table replayed, and sees its rows
    expect(await sql(url, 'SELECT version_id::int AS v, applied FROM migration_status ORDER BY 1')).toEqual([
      { v: 0, applied: true },
      { v: 1, applied: true },
      { v: 2, applied: true },
    ]);
    expect((await rollBack()).ok).toBe(true);
    expect(await sql(url, `SELECT to_regclass('migration_status') AS v, to_regclass('posts_search_idx') AS i`)).toEqual([{ v: null, i: null }]);
  });

  it('a file without "-- +goose Up": one clear message, exit 2', async () => {
    const err = await rejection(readMigrations(fixture('goose-missing-up'), {}));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toBe('test/fixtures-migrations/goose-missing-up/00002_add_slug.sql has no "-- +goose Up" annotation; goose refuses such a file too');
    expect(err.hint).toContain('-- +goose Up');
  });
});
