import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/core/errors.ts';
import { ensureTrackingTable, readMigrations } from '../src/migrations/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { rejection } from './helpers/errors.ts';
import { fixture, rehearseFolder } from './helpers/layouts.ts';

describe('Atlas', () => {
  it('reads the directory in name order; "-- atlas:txmode none" runs a file outside a transaction', async () => {
    const set = await readMigrations(fixture('atlas'), {});
    expect(set.format).toBe('atlas');
    expect(set.migrations.map((m) => [m.id, m.name, m.up.inTransaction, m.down])).toEqual([
      ['20240101000000', 'init', true, undefined],
      ['20240102000000', 'api_keys', true, undefined],
      ['20240103000000', 'users_email_idx', false, undefined],
    ]);
    expect(set.migrations[2]!.up.statements.map((s) => [s.line, s.kind, s.transactional])).toEqual([[4, 'IndexStmt', false]]);
  });

  it('replays what atlas_schema_revisions does not record (pgcrypto from the embedded server)', async () => {
    const url = await freshDatabase('atlas');
    expect(await ensureTrackingTable(url, 'atlas')).toBe('atlas_schema_revisions.atlas_schema_revisions');
    const first = (await readMigrations(fixture('atlas'), {})).migrations[0]!;
    for (const s of first.up.statements) await sql(url, s.sql);
    await sql(
      url,
      `INSERT INTO atlas_schema_revisions.atlas_schema_revisions (version, description, type, applied, total, executed_at, execution_time, hash, operator_version)
       VALUES ('20240101000000', 'init', 2, 1, 1, now(), 1000, 'h1', 'Atlas CLI v0.25.0')`,
    );
    const { set, up, replayed } = await rehearseFolder(url, fixture('atlas'));
    expect(set.trackingTable).toBe('atlas_schema_revisions.atlas_schema_revisions');
    expect(replayed).toEqual([
      ['20240102000000', 'applied'],
      ['20240103000000', 'applied'],
    ]);
    expect(up.migrations[1]!.statements[0]).toMatchObject({ line: 4, inTransaction: false, lockSource: 'sampled' });
    expect(await sql(url, `SELECT length(gen_random_uuid()::text) AS n`)).toEqual([{ n: 36 }]);
  });

  it('a partially applied revision is refused, as Atlas would resume inside the file', async () => {
    const url = await freshDatabase('atlas_partial');
    await ensureTrackingTable(url, 'atlas');
    await sql(
      url,
      `INSERT INTO atlas_schema_revisions.atlas_schema_revisions (version, description, type, applied, total, executed_at, execution_time, error, hash, operator_version)
       VALUES ('20240102000000', 'api_keys', 2, 1, 2, now(), 1000, 'relation "users" does not exist', 'h1', 'Atlas CLI v0.25.0')`,
    );
    const err = await rejection(readMigrations(fixture('atlas'), { url }));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toContain('records version 20240102000000 as partially applied (1 of 2 statements');
  });

  it('a file atlas.sum does not list is refused (checksum mismatch)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rehearse-atlas-'));
    try {
      await cp(fixture('atlas'), dir, { recursive: true });
      await writeFile(path.join(dir, '20240104000000_extra.sql'), 'SELECT 1;\n');
      const err = await rejection(readMigrations(dir, {}));
      expect(err.exitCode).toBe(ExitCode.usage);
      expect(err.message).toBe(
        `${path.join(dir, '20240104000000_extra.sql')} is not in atlas.sum; atlas migrate apply refuses the directory (checksum mismatch)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
