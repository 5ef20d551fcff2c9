import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sweep } from '../src/cleanup/index.ts';
import { currentOwner, ownerComment, ownerLiveness, processStartTime, startGuardian, type Owner } from '../src/ownership/index.ts';
import { sql } from './helpers/db.ts';
import { until } from './helpers/leftovers.ts';

/**
 * Ownership marks and the sweep: only a dead owner's things on this host are removed; a live
 * owner's, another host's and anything unmarked stay. The guardian stops a server whose owner died.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-ownership-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

/** An owner whose process has ended. */
function deadOwner(): Owner {
  const res = spawnSync('sh', ['-c', 'echo $$']);
  return { pid: Number(res.stdout.toString().trim()), startTime: '1', host: os.hostname(), runId: 'dead', createdAt: '' };
}
function runDir(root: string, name: string, marker: object | null): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  if (marker) fs.writeFileSync(path.join(dir, 'pg-rehearse-owner.json'), JSON.stringify({ ...marker, kind: 'embedded' }));
  return dir;
}

describe('owners', () => {
  it('this process is alive; an ended one, or a reused pid, is dead; another host is not judged', () => {
    expect(processStartTime(process.pid)).toMatch(/^\d+$/);
    expect(ownerLiveness(currentOwner())).toBe('alive');
    expect(ownerLiveness(deadOwner())).toBe('dead');
    expect(ownerLiveness({ ...currentOwner(), startTime: '1' })).toBe('dead');
    expect(ownerLiveness({ ...deadOwner(), host: 'elsewhere.example' })).toBe('elsewhere');
  });
});

describe('sweep', () => {
  it("removes a dead owner's run folder only", async () => {
    const root = path.join(work, 'root');
    const dead = runDir(root, 'pg-rehearse-dead', deadOwner());
    const live = runDir(root, 'pg-rehearse-live', currentOwner());
    const unmarked = runDir(root, 'pg-rehearse-unmarked', null);
    const remote = runDir(root, 'pg-rehearse-remote', { ...deadOwner(), host: 'elsewhere.example' });
    const listed = await sweep({ remove: false, root });
    expect(listed.map((l) => [path.basename(l.name), l.liveness]).sort()).toEqual([
      ['pg-rehearse-dead', 'dead'],
      ['pg-rehearse-live', 'alive'],
      ['pg-rehearse-remote', 'elsewhere'],
    ]);
    expect(fs.existsSync(dead)).toBe(true); // listing touches nothing
    const swept = await sweep({ remove: true, root });
    expect(swept.filter((l) => l.removed).map((l) => l.name)).toEqual([dead]);
    expect(fs.existsSync(dead)).toBe(false);
    for (const kept of [live, unmarked, remote]) expect(fs.existsSync(kept)).toBe(true);
  });

  it("drops a dead owner's scratch database only", async () => {
    const base = inject('pgUrl');
    const suffix = `${process.pid}_${Date.now()}`;
    const dbs = { dead: `rehearse_t_dead_${suffix}`, live: `rehearse_t_live_${suffix}`, unmarked: `rehearse_t_unmarked_${suffix}`, other: `t_other_${suffix}` };
    for (const name of Object.values(dbs)) await sql(base, `CREATE DATABASE ${name}`);
    const comment = (o: Owner) => ownerComment(o).replace(/'/g, "''");
    await sql(base, `COMMENT ON DATABASE ${dbs.dead} IS '${comment(deadOwner())}'`);
    await sql(base, `COMMENT ON DATABASE ${dbs.live} IS '${comment(currentOwner())}'`);
    await sql(base, `COMMENT ON DATABASE ${dbs.other} IS '${comment(deadOwner())}'`); // not named rehearse_…
    try {
      await sweep({ remove: true, root: path.join(work, 'empty'), databaseUrl: base });
      const left = (await sql<{ datname: string }>(base, 'SELECT datname FROM pg_database')).map((r) => r.datname);
      expect(left).not.toContain(dbs.dead);
      for (const kept of [dbs.live, dbs.unmarked, dbs.other]) expect(left).toContain(kept);
    } finally {
      for (const name of Object.values(dbs)) await sql(base, `DROP DATABASE IF EXISTS ${name}`);
    }
  });
});

describe('the guardian', () => {
  it("stops the server of a dead owner's folder and removes the folder; exits when the folder goes", async () => {
    const root = path.join(work, 'guarded');
    // the owner: a process we kill -9; the "postmaster": a process whose command line names the data directory
    const owner = spawn('sleep', ['300'], { stdio: 'ignore' });
    children.push(owner);
    const dir = runDir(root, 'pg-rehearse-guarded', null);
    const dataDir = path.join(dir, 'data');
    const postmaster = spawn('sh', ['-c', 'sleep 300', 'postgres', '-D', dataDir], { stdio: 'ignore', detached: true });
    children.push(postmaster);
    fs.writeFileSync(path.join(dataDir, 'postmaster.pid'), `${postmaster.pid}\n${dataDir}\n`);
    const guardian = startGuardian(dir, { pid: owner.pid!, startTime: processStartTime(owner.pid!), host: os.hostname(), runId: 't', createdAt: '' }).pid!;
    await new Promise((r) => setTimeout(r, 600));
    expect(fs.existsSync(dir)).toBe(true); // the owner lives: nothing happens
    owner.kill('SIGKILL');
    expect(await until(() => (fs.existsSync(dir) ? [dir] : []), 15_000)).toEqual([]);
    expect(postmaster.exitCode !== null || postmaster.signalCode !== null).toBe(true);
    expect(await until(() => (alive(guardian) ? [guardian] : []), 5_000)).toEqual([]);

    // a folder removed by its (live) owner: the guardian just exits
    const other = runDir(root, 'pg-rehearse-normal', null);
    const g2 = startGuardian(other, currentOwner()).pid!;
    await new Promise((r) => setTimeout(r, 400));
    fs.rmSync(other, { recursive: true });
    expect(await until(() => (alive(g2) ? [g2] : []), 5_000)).toEqual([]);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
