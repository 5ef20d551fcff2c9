import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { provisionDataset, cacheList, cachePrune, cacheRemove, type PreparedDataset } from '../src/snapshot/index.ts';
import { silentLogger, type Logger } from '../src/core/log.ts';
import { sql } from './helpers/db.ts';
import { fingerprint, invoicesDump } from './helpers/fingerprint.ts';

/** customers and 2,000 invoices */
const DUMP = invoicesDump(2_000);

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-test-snapshot-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('url provider: template database snapshots', () => {
  const serverUrl = () => inject('pgUrl');
  const open: PreparedDataset[] = [];
  afterAll(async () => {
    for (const p of open) await p.instance.stop();
    for (const e of await cacheList({ dir: path.join(tmp, 'none'), databaseUrl: serverUrl() })) {
      if (e.location.includes('_snap')) await cacheRemove({ dir: path.join(tmp, 'none'), databaseUrl: serverUrl() }, e.key).catch(() => undefined);
    }
  });
  const prepare = async (dump: string, log: Logger = silentLogger) => {
    const p = await provisionDataset(
      { provider: 'url', databaseUrl: serverUrl() },
      { kind: 'dump', path: dump },
      { mode: 'always', dir: path.join(tmp, 'url-cache') },
      log,
    );
    open.push(p);
    return p;
  };

  it('restores once, then clones: same rows and checksums; one changed byte of the dump is a miss and a new snapshot', async () => {
    const dump = path.join(tmp, 'small.sql');
    await fs.writeFile(dump, DUMP);
    const first = await prepare(dump);
    expect(first.dataset.snapshot).toMatchObject({ hit: false, cloneMs: 0 });
    expect(first.dataset.snapshot!.createdAt).not.toBeNull();
    expect(first.dataset.snapshot!.bytes).toBeGreaterThan(0);
    const restored = await fingerprint(first.instance.url);

    const second = await prepare(dump);
    expect(second.dataset.snapshot).toMatchObject({ key: first.dataset.snapshot!.key, hit: true, createdAt: first.dataset.snapshot!.createdAt });
    expect(second.dataset.loadMs).toBeGreaterThan(0);
    expect(second.dataset.tables).toEqual(first.dataset.tables);
    expect(second.instance.url).not.toEqual(first.instance.url);
    const cloned = await fingerprint(second.instance.url);
    expect(Object.keys(restored)).toEqual(['customers', 'invoices']);
    expect(restored.invoices!.rows).toBe(2000);
    expect(cloned).toEqual(restored);

    // once a run's report is out, a ready clone (spare) for the next run; the next run takes it by a
    // rename instead of copying the template, with the same rows, and the one after makes the next
    const key = first.dataset.snapshot!.key;
    const spares = async () =>
      (await sql<{ datname: string }>(serverUrl(), 'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [`rehearse\\_snapspare\\_${key}%`])).map(
        (r) => r.datname,
      );
    expect(second.afterwards).toBeTypeOf('function');
    await second.afterwards!();
    await second.afterwards!(); // one spare at a time
    const [spare] = await spares();
    expect(await spares()).toEqual([spare]);
    expect((await cacheList({ dir: path.join(tmp, 'none'), databaseUrl: serverUrl() })).find((e) => e.location.endsWith(spare!))).toMatchObject({
      key,
      incomplete: false,
      // the server's major is in the key and the description (SHOW … AS v read NaN once)
      source: expect.stringMatching(/\(PostgreSQL 1\d\) — ready clone for the next run$/),
    });
    const said: string[] = [];
    const taken = await prepare(dump, { ...silentLogger, info: (m) => said.push(m), warn: (m) => said.push(m) });
    expect(taken.dataset.snapshot).toMatchObject({ key, hit: true });
    expect(said.join('\n')).toContain(`taken from the ready clone ${spare}`);
    expect(await spares()).toEqual([]);
    expect(await fingerprint(taken.instance.url)).toEqual(restored);
    await taken.afterwards!();
    expect(await spares()).toHaveLength(1);

    // one byte: the amount divisor 100.0 → 100.1, same size, and the file's times set back
    const { atime, mtime } = await fs.stat(dump);
    await fs.writeFile(dump, DUMP.replace('/ 100.0', '/ 100.1'));
    await fs.utimes(dump, atime, mtime);
    const third = await prepare(dump);
    expect(third.dataset.snapshot!.hit).toBe(false);
    expect(third.dataset.snapshot!.key).not.toBe(first.dataset.snapshot!.key);
    expect(third.dataset.snapshot!.createdAt).not.toBeNull();
    expect((await fingerprint(third.instance.url)).invoices!.md5).not.toBe(restored.invoices!.md5);

    const listed = await cacheList({ dir: path.join(tmp, 'none'), databaseUrl: serverUrl() });
    const keys = listed.filter((e) => e.provider === 'url').map((e) => e.key);
    expect(keys).toEqual(expect.arrayContaining([first.dataset.snapshot!.key, third.dataset.snapshot!.key]));
    // cache rm takes the template and its spare
    const removedFirst = await cacheRemove({ dir: path.join(tmp, 'none'), databaseUrl: serverUrl() }, key);
    expect(removedFirst).toHaveLength(2);
    expect(await spares()).toEqual([]);
    const removed = await cacheRemove({ dir: path.join(tmp, 'none'), databaseUrl: serverUrl() }, third.dataset.snapshot!.key);
    expect(removed.map((e) => e.location)).toEqual([expect.stringContaining(`rehearse_snap_${third.dataset.snapshot!.key}`)]);
    const [gone] = await sql<{ n: number }>(serverUrl(), 'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [
      `rehearse_snap_${third.dataset.snapshot!.key}`,
    ]);
    expect(gone!.n).toBe(0);
  });
});

describe('embedded provider: data directory snapshots', () => {
  it('a clone of the saved data directory has the rows and checksums of the restore; cache ls and prune', async () => {
    const dir = path.join(tmp, 'cache');
    const dump = path.join(tmp, 'embedded.sql');
    await fs.writeFile(dump, DUMP);
    const load = { kind: 'dump' as const, path: dump };
    const first = await provisionDataset({ provider: 'embedded' }, load, { mode: 'always', dir }, silentLogger);
    let restored;
    try {
      restored = await fingerprint(first.instance.url);
    } finally {
      await first.instance.stop();
    }
    const key = first.dataset.snapshot!.key;
    expect(first.dataset.snapshot!.bytes).toBeGreaterThan(1_000_000);
    // no temp folder, no lock file left (.dump-hashes.json remembers the dump's hash)
    expect((await fs.readdir(dir)).sort()).toEqual(['.dump-hashes.json', key]);

    const second = await provisionDataset({ provider: 'embedded' }, load, { mode: 'always', dir }, silentLogger);
    try {
      expect(second.dataset.snapshot).toMatchObject({ key, hit: true });
      expect(second.dataset.snapshot!.cloneMs).toBeGreaterThan(0);
      expect(await fingerprint(second.instance.url)).toEqual(restored);
      // the clone is the run's own: changing it leaves the snapshot as it was
      await sql(second.instance.url, 'DELETE FROM invoices');
    } finally {
      await second.instance.stop();
    }

    // a snapshot that does not start (here: its pg_control gone) costs a load, not the run
    await fs.rm(path.join(dir, key, 'data', 'global', 'pg_control'));
    const warnings: string[] = [];
    const third = await provisionDataset({ provider: 'embedded' }, load, { mode: 'always', dir }, { ...silentLogger, warn: (m) => warnings.push(m) });
    try {
      expect(third.dataset.snapshot).toMatchObject({ key, hit: false, createdAt: null });
      expect(third.dataset.phaseMs).toBeDefined();
      expect(await fingerprint(third.instance.url)).toEqual(restored);
      expect(warnings).toEqual([expect.stringMatching(new RegExp(`^snapshot ${key} did not start \\(.*\\); loading the dataset instead`))]);
    } finally {
      await third.instance.stop();
    }

    const [entry] = await cacheList({ dir });
    expect(entry).toMatchObject({ key, provider: 'embedded', incomplete: false, bytes: first.dataset.snapshot!.bytes });
    expect(entry!.source).toContain('embedded.sql');
    // prune by size: the only snapshot is over a 1 kB budget
    expect((await cachePrune({ dir }, { maxBytes: 1000 })).map((e) => e.key)).toEqual([key]);
    expect(await cacheList({ dir })).toEqual([]);
  });
});
