import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, invoicesDump } from './helpers/fingerprint.ts';

/**
 * Container provider snapshots (docs/snapshots.md): a tar of the stopped data directory, put into a
 * new container before its server starts. Needs a Docker engine and the local image, like
 * test/container.test.ts: skipped without, a failure with REHEARSE_CONTAINER_TESTS=1.
 */
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const IMAGE = process.env.REHEARSE_CONTAINER_IMAGE ?? 'rehearse-local/postgres:15';
const REQUIRED = Boolean(process.env.REHEARSE_CONTAINER_TESTS) && process.env.REHEARSE_CONTAINER_TESTS !== '0';

const { provisionDataset, cacheList, cacheRemove } = await import('../src/snapshot/index.ts');
const { PID_LABEL, dockerEngine } = await import('../src/provision/container/index.ts');
const { silentLogger } = await import('../src/core/log.ts');
const { sql } = await import('./helpers/db.ts');

async function engineProblem(): Promise<string | null> {
  try {
    const { docker } = await Promise.race([
      dockerEngine(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no Docker engine answered within 20 s')), 20_000).unref()),
    ]);
    const present = await docker
      .getImage(IMAGE)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    return present ? null : `the image ${IMAGE} is not on the Docker engine`;
  } catch (err) {
    return (err as Error).message;
  }
}
const problem = await engineProblem();
if (problem && !REQUIRED) console.warn(`container snapshot tests skipped: ${problem}; run scripts/container-image.sh`);

describe.runIf(problem !== null && REQUIRED)('container snapshot tests (REHEARSE_CONTAINER_TESTS=1)', () => {
  it('need a Docker engine and the local image', () => {
    throw new Error(`REHEARSE_CONTAINER_TESTS is set but ${problem}`);
  });
});

async function containersOf(pid: number): Promise<string[]> {
  const { docker } = await dockerEngine();
  const list = await docker.listContainers({ all: true, filters: { label: [`${PID_LABEL}=${pid}`] } });
  return list.map((c) => c.Id);
}

/** customers and 20,000 invoices */
const DUMP = invoicesDump(20_000);

describe.skipIf(problem !== null)('container provider: data directory archives', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-test-snapshot-container-'));
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('the second run is a hit: the clone has the rows and checksums of the restore; nothing is left behind', async () => {
    const dir = path.join(tmp, 'cache');
    const dump = path.join(tmp, 'small.sql');
    await fs.writeFile(dump, DUMP);
    const options = { provider: 'container' as const, image: IMAGE, containerNetwork: 'host' };
    const load = { kind: 'dump' as const, path: dump };

    const first = await provisionDataset(options, load, { mode: 'always', dir }, silentLogger);
    let restored;
    try {
      expect(first.dataset.snapshot).toMatchObject({ hit: false, cloneMs: 0 });
      expect(first.dataset.snapshot!.createdAt).not.toBeNull();
      // the server runs again after its data directory was taken out
      restored = await fingerprint(first.instance.url);
    } finally {
      await first.instance.stop();
    }
    const key = first.dataset.snapshot!.key;
    expect(restored.invoices!.rows).toBe(20000);
    expect((await fs.readdir(dir)).sort()).toEqual(['.dump-hashes.json', key]);
    expect((await fs.readdir(path.join(dir, key))).sort()).toEqual(['data.tar', 'meta.json', 'password']);
    expect(first.dataset.snapshot!.bytes).toBe((await fs.stat(path.join(dir, key, 'data.tar'))).size);

    const second = await provisionDataset(options, load, { mode: 'always', dir }, silentLogger);
    try {
      expect(second.dataset.snapshot).toMatchObject({ key, hit: true, createdAt: first.dataset.snapshot!.createdAt });
      expect(second.dataset.snapshot!.cloneMs).toBeGreaterThan(0);
      expect(second.dataset.tables).toEqual(first.dataset.tables);
      expect(second.instance.major).toBe(first.instance.major);
      expect(await fingerprint(second.instance.url)).toEqual(restored);
      // the clone goes on as any run's server: production-like settings, then changes of its own
      await second.instance.prepareForReplay();
      expect(await second.instance.settingsInForce()).toMatchObject({ fsync: 'on', wal_level: 'replica' });
      await sql(second.instance.url, 'DELETE FROM invoices');
    } finally {
      await second.instance.stop();
    }
    expect(await containersOf(process.pid)).toEqual([]);

    // no half-written snapshot, no lock, no container; cache ls / rm know it
    expect((await fs.readdir(dir)).sort()).toEqual(['.dump-hashes.json', key]);
    expect(await containersOf(process.pid)).toEqual([]);
    const [entry] = await cacheList({ dir });
    expect(entry).toMatchObject({ key, provider: 'container', incomplete: false, bytes: first.dataset.snapshot!.bytes });
    expect(entry!.source).toContain('small.sql');
    expect(entry!.source).toContain(IMAGE);
    expect((await cacheRemove({ dir }, key)).map((e) => e.key)).toEqual([key]);
    expect(await fs.readdir(dir)).toEqual(['.dump-hashes.json']);
  }, 180_000);
});
