import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesUsing, runDirs, until } from './helpers/leftovers.ts';
import { runDirOf, runWorkspace, spawnRun, writeFiles, type SpawnedRun } from './helpers/spawn-run.ts';

/**
 * SIGTERM in every stage (load, replay, traffic, rollback, report writing) ends the run with 130
 * within 15 s, its server stopped and its folder removed; a second Ctrl-C ends it at once.
 */
const { work, root, env, started } = runWorkspace('signals');

const slow = writeFiles(path.join(work, 'slow'), { '001_slow.sql': 'SELECT pg_sleep(300);\n' });
const quick = writeFiles(path.join(work, 'quick'), { '001_a.sql': 'CREATE TABLE a (id int);\n' });
const slowDown = writeFiles(path.join(work, 'slow-down'), {
  '001_a.up.sql': 'CREATE TABLE a (id int);\n',
  '001_a.down.sql': 'SELECT pg_sleep(300);\nDROP TABLE a;\n',
});
const workload = path.join(work, 'workload.yaml');
fs.writeFileSync(workload, 'apps:\n  old:\n    clients: 1\n    queries:\n      - name: one\n        sql: SELECT 1\n        rate: 20\n');
/** a report folder whose report.json is a FIFO: writing it blocks, as on a hung network share */
const stuckOut = path.join(work, 'stuck-out');
fs.mkdirSync(stuckOut);
execFileSync('mkfifo', [path.join(stuckOut, 'report.json')]);

/** several servers start at once on a shared machine */
const LONG = 400_000;

interface Stage {
  stage: string;
  args: string[];
  /** the moment the run is in that stage */
  reached: (r: SpawnedRun) => Promise<void>;
}

const STAGES: Stage[] = [
  { stage: 'load', args: ['--example', '--scale', '2000000'], reached: (r) => r.waitFor(/shop: /, LONG) },
  { stage: 'replay', args: ['--migrations', slow], reached: (r) => r.waitFor(/applying 001/, LONG) },
  { stage: 'traffic', args: ['--migrations', quick, '--workload', workload, '--warmup', '300s'], reached: (r) => r.waitFor(/traffic baseline/, LONG) },
  { stage: 'rollback', args: ['--migrations', slowDown, '--rollback'], reached: (r) => r.waitFor(/rolling back 001/, LONG) },
  {
    stage: 'report writing',
    args: ['--migrations', quick],
    // the server is stopped and its folder gone: the run is writing its report (into the FIFO)
    reached: async (r) => {
      await r.waitFor(/applying 001/, LONG);
      await until(() => (runDirOf(root, r.pid) ? [r.pid] : []), LONG);
    },
  },
];

describe.concurrent('SIGTERM ends the run with 130 within 15 s, nothing left', () => {
  it.each(STAGES)('during $stage', { timeout: 600_000 }, async ({ stage, args, reached }) => {
    const out = stage === 'report writing' ? stuckOut : path.join(work, `out-${stage}`);
    const r = spawnRun(['run', ...args, '--out', out], env);
    started.push(r);
    await reached(r);
    const dir = runDirOf(root, r.pid);
    const t0 = Date.now();
    r.child.kill('SIGTERM');
    const res = await r.child;
    const ms = Date.now() - t0;
    expect(res.exitCode, r.stderr()).toBe(130);
    expect(ms).toBeLessThan(15_000);
    if (dir) {
      expect(processesUsing(dir)).toEqual([]);
      expect(fs.existsSync(dir)).toBe(false);
    }
    if (stage !== 'report writing') {
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
      expect(report.run).toMatchObject({ status: 'error', exitCode: 130, error: { kind: 'interrupted' } });
    } else {
      expect(r.stderr()).toMatch(/report .*not saved/);
    }
  });

  it('a second Ctrl-C ends it at once; the guardian finishes the clean-up', { timeout: 600_000 }, async () => {
    const r = spawnRun(['run', '--migrations', slow, '--out', path.join(work, 'out-twice')], env);
    started.push(r);
    await r.waitFor(/applying 001/, LONG);
    const dir = runDirOf(root, r.pid)!;
    r.child.kill('SIGINT');
    await new Promise((res) => setTimeout(res, 200));
    const t0 = Date.now();
    r.child.kill('SIGINT');
    const res = await r.child;
    expect(res.exitCode).toBe(130);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(await until(() => (fs.existsSync(dir) ? [dir] : processesUsing(dir)), 30_000)).toEqual([]);
  });
});

describe('at the end', () => {
  it('no run folder is left under the private root', async () => {
    expect(await until(() => runDirs(root), 30_000)).toEqual([]);
  });
});
