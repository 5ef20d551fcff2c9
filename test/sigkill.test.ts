import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { containersOf, dockerUp, processesUsing, scratchDatabasesOf, until } from './helpers/leftovers.ts';
import { runDirOf, runWorkspace, spawnRun, writeFiles } from './helpers/spawn-run.ts';

/**
 * kill -9 of `rehearse run` (a cancelled CI job, the OOM killer) during load, replay and traffic:
 * after the guardian (or, when the guardian is killed too, `rehearse cleanup`) nothing of the
 * killed run remains — no postmaster, no data directory, no scratch database, no container —
 * while a live run's server beside it is untouched. Every run here uses a private run root.
 */
const { work, root, env, started } = runWorkspace('sigkill');

const slow = writeFiles(path.join(work, 'slow'), { '001_slow.sql': 'SELECT pg_sleep(300);\n' });
const quick = writeFiles(path.join(work, 'quick'), { '001_a.sql': 'CREATE TABLE a (id int);\n' });
const workload = path.join(work, 'workload.yaml');
fs.writeFileSync(workload, 'apps:\n  old:\n    clients: 1\n    queries:\n      - name: one\n        sql: SELECT 1\n        rate: 20\n');

const run = (args: string[]) => {
  const r = spawnRun([...args, '--out', path.join(work, `out-${started.length}`)], env);
  started.push(r);
  return r;
};
const cleanup = (...args: string[]) => execa('node', ['bin/rehearse.js', 'cleanup', ...args], { reject: false, env });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** generous: several servers start at once on a shared machine */
const LONG = 400_000;
const postmasterPid = (dir: string) => Number(fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('kill -9 of rehearse run', () => {
  it('leaves nothing after load and replay kills; a live run beside them is untouched', { timeout: 600_000 }, async () => {
    // the live run: replaying a five-minute migration all along
    const live = run(['run', '--migrations', slow]);
    const load = run(['run', '--example', '--scale', '2000000']);
    const replay = run(['run', '--migrations', slow]);
    await Promise.all([live.waitFor(/applying 001/, LONG), load.waitFor(/shop: /, LONG), replay.waitFor(/applying 001/, LONG)]);
    const liveDir = runDirOf(root, live.pid)!;
    const livePostmaster = postmasterPid(liveDir);
    const dirs = { load: runDirOf(root, load.pid)!, replay: runDirOf(root, replay.pid)! };
    for (const d of Object.values(dirs)) expect(processesUsing(d).length).toBeGreaterThan(0);

    // the load kill takes the guardian with it: only the sweep can clean up after that one
    const marker = JSON.parse(fs.readFileSync(path.join(dirs.load, 'pg-rehearse-owner.json'), 'utf8'));
    process.kill(marker.guardianPid, 'SIGKILL');
    for (const r of [load, replay]) r.child.kill('SIGKILL');
    await Promise.all([load.child, replay.child]);

    // the guardian of the replay run stops its server and removes its folder
    expect(await until(() => [dirs.replay].filter((d) => fs.existsSync(d) || processesUsing(d).length), 60_000)).toEqual([]);
    // the load run's server is still there (its guardian died too) until cleanup
    expect(fs.existsSync(dirs.load)).toBe(true);
    const res = await cleanup();
    expect(res.exitCode, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain(`data directory ${dirs.load}`);
    expect(res.stdout).toMatch(/removed/);
    for (const d of Object.values(dirs)) {
      expect(processesUsing(d)).toEqual([]);
      expect(fs.existsSync(d)).toBe(false);
    }
    // the live run: its server and folder untouched, listed as in use
    expect(res.stdout).toMatch(new RegExp(`${liveDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*in use by a live run`));
    expect(alive(livePostmaster)).toBe(true);
    expect(fs.existsSync(path.join(liveDir, 'data'))).toBe(true);
    // and it still ends normally on SIGTERM (130), taking its server with it
    live.child.kill('SIGTERM');
    expect((await live.child).exitCode).toBe(130);
    expect(alive(livePostmaster)).toBe(false);
    expect(fs.existsSync(liveDir)).toBe(false);
  });

  it('a url run killed during traffic: rehearse cleanup --database-url drops its scratch database, not a live one', { timeout: 600_000 }, async () => {
    const base = inject('pgUrl');
    const live = run(['run', '--database-url', base, '--migrations', slow]);
    const killed = run(['run', '--database-url', base, '--migrations', quick, '--workload', workload, '--warmup', '300s']);
    await Promise.all([live.waitFor(/applying 001/, LONG), killed.waitFor(/traffic baseline/, LONG)]);
    expect(await scratchDatabasesOf(base, [killed.pid])).toHaveLength(1);
    killed.child.kill('SIGKILL');
    await killed.child;
    const res = await cleanup('--database-url', base);
    expect(res.exitCode, res.stdout + res.stderr).toBe(0);
    expect(await scratchDatabasesOf(base, [killed.pid])).toEqual([]);
    expect(await scratchDatabasesOf(base, [live.pid])).toHaveLength(1);
    live.child.kill('SIGTERM');
    expect((await live.child).exitCode).toBe(130);
    expect(await scratchDatabasesOf(base, [live.pid])).toEqual([]);
  });

  const containers = process.env.REHEARSE_CONTAINER_TESTS === '1';
  it.runIf(containers)('a killed container run: rehearse cleanup removes its container', { timeout: 600_000 }, async () => {
    if (!(await dockerUp())) throw new Error('REHEARSE_CONTAINER_TESTS=1 but no Docker engine answers');
    const image = process.env.REHEARSE_CONTAINER_IMAGE ?? 'rehearse-local/postgres:15';
    const containerEnv = { ...env, TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1', TESTCONTAINERS_RYUK_DISABLED: 'true' };
    const killed = spawnRun(
      // host networking, as the other container tests: engines without a bridge cannot publish ports
      ['run', '--provider', 'container', '--image', image, '--container-network', 'host', '--migrations', slow, '--out', path.join(work, 'out-container')],
      containerEnv,
    );
    started.push(killed);
    await killed.waitFor(/applying 001/, 300_000);
    expect(await containersOf([killed.pid])).toHaveLength(1);
    killed.child.kill('SIGKILL');
    await killed.child;
    const res = await execa('node', ['bin/rehearse.js', 'cleanup'], { reject: false, env: containerEnv });
    expect(res.exitCode, res.stdout + res.stderr).toBe(0);
    expect(await containersOf([killed.pid])).toEqual([]);
  });
});
