import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from './helpers/db.ts';
import { processesUsing, runDirs, scratchDatabasesOf, until } from './helpers/leftovers.ts';
import { runDirOf, runWorkspace, spawnRun, writeFiles, type SpawnedRun } from './helpers/spawn-run.ts';

/**
 * Faults in the middle of a run: each ends with a message saying what happened, the documented
 * exit code (3: infrastructure), the partial report, and nothing left (servers, folders, scratch
 * databases). The url-provider cases use the shared test server (a scratch database each).
 */
const { work, root, env, started } = runWorkspace('faults', { sweep: false });
const LONG = 400_000;

const slow = writeFiles(path.join(work, 'slow'), { '001_slow.sql': 'SELECT pg_sleep(300);\n' });
const short = writeFiles(path.join(work, 'short'), { '001_short.sql': 'SELECT pg_sleep(4);\n' });
const run = (args: string[], extraEnv: Record<string, string> = {}) => {
  const out = path.join(work, `out-${started.length}`);
  const r = spawnRun([...args, '--out', out], { ...env, ...extraEnv });
  started.push(r);
  return { r, out };
};
/** Backends of the server `pm` whose process title says they run a SELECT. */
const selectingBackends = (pm: number): string[] =>
  fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const ppid = Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        return ppid === pm && / SELECT\b/.test(fs.readFileSync(`/proc/${d}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    });
const report = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
const scratchName = (r: SpawnedRun) => /scratch database (rehearse_\w+) created/.exec(r.stderr())?.[1];

describe.concurrent('faults mid-run', () => {
  it('a backend killed mid-migration → 3, the statement named, partial report', { timeout: 600_000 }, async () => {
    const base = inject('pgUrl');
    const { r, out } = run(['run', '--database-url', base, '--migrations', slow]);
    await r.waitFor(/applying 001/, LONG);
    const db = scratchName(r)!;
    await until(
      async () =>
        (await sql(base, `SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(300)%'`, [db])).length
          ? []
          : [1],
      30_000,
    );
    const res = await r.child;
    expect(res.exitCode, r.stderr()).toBe(3);
    expect(r.stderr()).toMatch(/the rehearsal server went away at .*001_slow\.sql:1: terminating connection/);
    const rep = report(out);
    expect(rep.run).toMatchObject({ status: 'error', exitCode: 3, error: { kind: 'infrastructure' } });
    expect(rep.migrations[0]).toMatchObject({ id: '001', status: 'failed' });
    expect(await scratchDatabasesOf(base, [r.pid])).toEqual([]);
  });

  it('the postmaster killed mid-migration → 3, nothing left', { timeout: 600_000 }, async () => {
    const { r, out } = run(['run', '--migrations', slow]);
    await r.waitFor(/applying 001/, LONG);
    const dir = runDirOf(root, r.pid)!;
    const pm = Number(fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    // "applying 001" is printed before the statement is sent: kill once a backend of this server has
    // been running a SELECT (the pg_sleep) for two polls in a row, not in between (a kill before it
    // fails some other connection first, and the message cannot name the statement)
    let seen: string | undefined;
    await until(() => {
      const now = selectingBackends(pm);
      const steady = seen !== undefined && now.includes(seen);
      seen = now[0];
      return steady ? [] : [1];
    }, 60_000);
    process.kill(pm, 'SIGKILL');
    const res = await r.child;
    expect(res.exitCode, r.stderr()).toBe(3);
    expect(r.stderr()).toMatch(/the rehearsal server went away at .*001_slow\.sql:1/);
    expect(report(out).run.error.kind).toBe('infrastructure');
    expect(processesUsing(dir)).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('the server refusing connections mid-run → 3, said as such', { timeout: 600_000 }, async () => {
    const base = inject('pgUrl');
    // while the migration runs, its database is shut for new connections from outside (a database
    // cannot do it to itself): the replay's own connection goes on, the next stage's is refused
    const sleeping = writeFiles(path.join(work, 'sleeping'), { '001_sleep.sql': 'SELECT pg_sleep(10);\n' });
    const { r, out } = run(['run', '--database-url', base, '--migrations', sleeping]);
    await r.waitFor(/applying 001/, LONG);
    const db = scratchName(r)!;
    await sql(base, `ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
    const res = await r.child;
    expect(res.exitCode, r.stderr()).toBe(3);
    expect(r.stderr()).toMatch(/the rehearsal server refused a connection mid-run: .*not currently accepting connections/);
    expect(report(out).migrations[0]).toMatchObject({ id: '001', status: 'applied' });
    expect(report(out).run.error.kind).toBe('infrastructure');
    expect(await scratchDatabasesOf(base, [r.pid])).toEqual([]);
  });

  it('pg_restore dying → 3, what died and the likely cause', { timeout: 600_000 }, async () => {
    // a pg_restore that lists the archive, then dies as the OOM killer would make it
    const fake = writeFiles(path.join(work, 'fakebin'), {
      pg_restore: '#!/bin/sh\ncase "$1" in --version) echo "pg_restore (PostgreSQL) 17.6"; exit 0;; -l) echo ";"; exit 0;; esac\nkill -9 $$\n',
    });
    fs.chmodSync(path.join(fake, 'pg_restore'), 0o755);
    const dump = path.join(work, 'archive.dump');
    fs.writeFileSync(dump, Buffer.from([...Buffer.from('PGDMP'), 1, 14, 0, 4, 8, 1, 0, 0, 0, 0]));
    const base = inject('pgUrl');
    const { r, out } = run(['run', '--database-url', base, '--dump', dump, '--migrations', short], { PATH: `${fake}:${process.env.PATH}` });
    const res = await r.child;
    expect(res.exitCode, r.stderr()).toBe(3);
    expect(r.stderr()).toMatch(/pg_restore was killed \(SIGKILL\) while restoring .*archive\.dump; the database is partly loaded/);
    expect(report(out).run.error.kind).toBe('infrastructure');
    expect(await scratchDatabasesOf(base, [r.pid])).toEqual([]);
  });

  it('a deadlock between a migration and a workload transaction → 1, both sides named', { timeout: 600_000 }, async () => {
    const base = inject('pgUrl');
    const dump = path.join(work, 'deadlock.sql');
    fs.writeFileSync(dump, '-- PostgreSQL database dump\nCREATE TABLE dl_a (id int);\nCREATE TABLE dl_b (id int);\n');
    const migrations = writeFiles(path.join(work, 'deadlock'), {
      '001_lock_a_then_b.sql': 'BEGIN;\nLOCK TABLE dl_a IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(6);\nLOCK TABLE dl_b IN ACCESS EXCLUSIVE MODE;\nCOMMIT;\n',
    });
    // the workload takes b, then asks for a while the migration holds it; its long deadlock_timeout
    // makes the migration (1 s) the one PostgreSQL picks to fail
    const workload = path.join(work, 'deadlock.yaml');
    fs.writeFileSync(
      workload,
      [
        'apps:',
        '  old:',
        '    clients: 1',
        '    queries:',
        '      - { name: ping, sql: SELECT 1, rate: 5 }',
        'background:',
        '  - name: hold_b_then_a',
        '    app: old',
        '    at: 0s',
        '    transaction:',
        "      - sql: SET LOCAL deadlock_timeout = '60s'",
        '      - sql: LOCK TABLE dl_b IN ACCESS EXCLUSIVE MODE',
        '      - sql: SELECT pg_sleep(3)',
        '      - sql: LOCK TABLE dl_a IN ACCESS EXCLUSIVE MODE',
        '',
      ].join('\n'),
    );
    const { r, out } = run([
      'run',
      '--database-url',
      base,
      '--dump',
      dump,
      '--migrations',
      migrations,
      '--workload',
      workload,
      '--warmup',
      '500ms',
      '--cooldown',
      '500ms',
    ]);
    const res = await r.child;
    expect(res.exitCode, r.stderr()).toBe(1);
    const failed = report(out).migrations[0].statements.find((s: { error?: unknown }) => s.error);
    expect(failed.error).toMatchObject({ sqlstate: '40P01', line: 4 });
    expect(failed.error.message).toMatch(/deadlock detected \(with the workload's app old, hold_b_then_a \(pid \d+\)\)/);
    expect(r.stderr()).toMatch(/001_lock_a_then_b\.sql:4: 40P01 deadlock detected \(with the workload's app old, hold_b_then_a/);
    expect(await scratchDatabasesOf(base, [r.pid])).toEqual([]);
  });
});

/** A small tmpfs as the run root: the data directory fills it. Root only (mount). */
const asRoot = os.userInfo().uid === 0;
describe.runIf(asRoot)('a full disk', () => {
  const small = path.join(work, 'small-disk');
  beforeAll(() => {
    fs.mkdirSync(small, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=120m,mode=0755', 'tmpfs', small]);
  });
  afterAll(() => {
    execFileSync('umount', ['-l', small]);
  });

  it('during the restore → 3, disk space named, nothing left', { timeout: 600_000 }, async () => {
    const dump = path.join(work, 'big.sql');
    fs.writeFileSync(
      dump,
      "-- PostgreSQL database dump\nCREATE TABLE big (id int, pad text);\nINSERT INTO big SELECT g, repeat('x', 1000) FROM generate_series(1, 300000) g;\n",
    );
    const { r, out } = run(['run', '--dump', dump, '--migrations', short], { PG_REHEARSE_RUN_ROOT: small });
    const res = await r.child;
    expect(res.exitCode, r.stderr()).toBe(3);
    expect(r.stderr()).toMatch(/the disk holding .* is full .*: the rehearsal server ran out of disk space/);
    expect(report(out).run.error.kind).toBe('infrastructure');
    expect(runDirs(small)).toEqual([]);
    expect(processesUsing(small)).toEqual([]);
  });

  it('during a rewrite → 3, disk space named, the migration in the partial report', { timeout: 600_000 }, async () => {
    // 40 MB loaded in one transaction (no WAL under wal_level=minimal); the rewrite needs a second copy and its WAL
    const dump = path.join(work, 'fits.sql');
    fs.writeFileSync(
      dump,
      "-- PostgreSQL database dump\nBEGIN;\nCREATE TABLE big (id int, pad text);\nINSERT INTO big SELECT g, repeat('x', 1000) FROM generate_series(1, 40000) g;\nCOMMIT;\n",
    );
    const rewrite = writeFiles(path.join(work, 'rewrite'), { '001_rewrite.sql': 'ALTER TABLE big ALTER COLUMN id TYPE bigint;\n' });
    const { r, out } = run(['run', '--dump', dump, '--migrations', rewrite], { PG_REHEARSE_RUN_ROOT: small });
    const res = await r.child;
    expect(res.exitCode, r.stderr()).toBe(3);
    expect(r.stderr()).toMatch(/(disk space|went away) at .*001_rewrite\.sql:1/);
    expect(r.stderr()).toMatch(/ran out of disk space/);
    expect(report(out).migrations[0]).toMatchObject({ id: '001', status: 'failed' });
    expect(runDirs(small)).toEqual([]);
    expect(processesUsing(small)).toEqual([]);
  });
});
