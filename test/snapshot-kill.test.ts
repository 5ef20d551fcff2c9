import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { cacheList, cachePrune, choosePrune, parseAge, parseBytes, type CacheEntry } from '../src/snapshot/index.ts';
import { dataDirStore } from '../src/snapshot/datadir.ts';
import { tryLock } from '../src/snapshot/lock.ts';

const bin = path.resolve('bin/rehearse.js');
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-test-snapkill-'));
  await fs.chmod(tmp, 0o755); // as root, the server (user postgres) runs in a folder under it
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a run killed while writing a snapshot', () => {
  it('leaves no snapshot a later run uses; cache ls shows the unfinished write and prune removes it', async () => {
    const dir = path.join(tmp, 'cache');
    const run = path.join(tmp, 'run');
    await fs.mkdir(run, { mode: 0o755 });
    const child = execa('node', [bin, 'prepare', '--fixture', 'shop', '--scale', '3000', '--cache-dir', dir, '--quiet'], {
      reject: false,
      env: { TMPDIR: run },
    });
    onTestFinished(() => void (child.exitCode === null && child.kill('SIGINT')));
    let writing: string | undefined;
    const deadline = Date.now() + 280_000;
    while (!writing && Date.now() < deadline && child.exitCode === null) {
      writing = (await fs.readdir(dir).catch(() => [] as string[])).find((f) => f.startsWith('.writing-'));
      if (!writing) await sleep(10);
    }
    expect(writing, 'the run reached the snapshot copy').toBeDefined();
    // the server is stopped while its data directory is copied; whatever it started still runs is ours to stop
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter(Boolean);
    process.kill(child.pid!, 'SIGKILL');
    await child;
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        /* already gone */
      }
    }
    const key = writing!.slice('.writing-'.length).split('-')[0]!;

    expect(await dataDirStore(dir).find(key)).toBeNull();
    expect(
      await fs.access(path.join(dir, key)).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    const listed = await cacheList({ dir });
    expect(listed).toEqual([expect.objectContaining({ key, incomplete: true, writerPid: child.pid })]);
    // the killed writer's lock does not block the next writer of the key
    const lock = await tryLock(path.join(dir, `.lock-${key}`));
    expect('release' in lock).toBe(true);
    if ('release' in lock) await lock.release();

    // the commands, as a user runs them
    const ls = await execa('node', [bin, 'cache', 'ls', '--cache-dir', dir], { reject: false });
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toMatch(/KEY\s+PROVIDER\s+SIZE\s+AGE\s+USED\s+SOURCE\s+WHERE/);
    expect(ls.stdout).toContain(`${key} (unfinished)`);
    const prune = await execa('node', [bin, 'cache', 'prune', '--cache-dir', dir, '--max-size', '20GB'], { reject: false });
    expect(prune.exitCode).toBe(0);
    expect(prune.stderr).toMatch(/pruned 1 snapshot\(s\), [\d.]+ [kMG]?B freed/);
    expect(await fs.readdir(dir)).toEqual([]);
    expect(await cachePrune({ dir }, {})).toEqual([]);
    const bad = await execa('node', [bin, 'cache', 'prune', '--cache-dir', dir, '--older-than', 'soon'], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--older-than soon: not an age');
  }, 300_000); // a whole `rehearse prepare` up to its snapshot copy: slow on a loaded 2-core machine
});

describe('snapshot cache rules', () => {
  it('a lock held by a live process is refused; one of a dead process is taken over', async () => {
    const file = path.join(tmp, '.lock-test');
    const mine = await tryLock(file);
    expect('release' in mine).toBe(true);
    expect(await tryLock(file)).toEqual({ heldBy: expect.objectContaining({ pid: process.pid }) });
    if ('release' in mine) await mine.release();
    await fs.writeFile(file, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: '' }));
    const taken = await tryLock(file);
    expect('release' in taken).toBe(true);
    if ('release' in taken) await taken.release();
  });

  it('prune: unfinished writes of dead writers, then unused for --older-than, then least recently used over --max-size', () => {
    const day = 86_400_000;
    const now = Date.parse('2026-06-10T00:00:00Z');
    const entry = (key: string, gb: number, usedDaysAgo: number, incomplete = false): CacheEntry => ({
      key,
      provider: 'embedded',
      source: 's',
      bytes: gb * 1e9,
      createdAt: new Date(now - 30 * day).toISOString(),
      usedAt: new Date(now - usedDaysAgo * day).toISOString(),
      location: `/c/${key}`,
      incomplete,
    });
    const all = [entry('a', 10, 1), entry('b', 10, 3), entry('c', 10, 9), entry('w', 1, 0, true), entry('x', 1, 0, true)];
    const gone = (e: CacheEntry) => e.key === 'w';
    expect(choosePrune(all, {}, now, gone).map((e) => e.key)).toEqual(['w']);
    expect(choosePrune(all, { olderThanMs: 7 * day }, now, gone).map((e) => e.key)).toEqual(['c', 'w']);
    expect(choosePrune(all, { maxBytes: 20e9 }, now, gone).map((e) => e.key)).toEqual(['c', 'w']);
    expect(choosePrune(all, { maxBytes: 15e9 }, now, gone).map((e) => e.key)).toEqual(['b', 'c', 'w']);
    expect(parseBytes('20GB')).toBe(20e9);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseAge('7d')).toBe(7 * day);
    expect(parseAge('7')).toBeNull();
  });
});
