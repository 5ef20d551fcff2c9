import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The container provider against a real Docker engine, as CI runs it (scripts/container-image.sh
 * first): the local image, host networking, no bridge address, no Ryuk, a loopback port per
 * container. Without an engine these tests skip themselves and say why, unless
 * REHEARSE_CONTAINER_TESTS=1 makes that a failure.
 */
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const IMAGE = process.env.REHEARSE_CONTAINER_IMAGE ?? 'rehearse-local/postgres:15';
const REQUIRED = Boolean(process.env.REHEARSE_CONTAINER_TESTS) && process.env.REHEARSE_CONTAINER_TESTS !== '0';
const HOW_TO = 'run scripts/container-image.sh (as root it starts dockerd and builds the image)';

const { provision } = await import('../src/provision/index.ts');
const { restoreInContainer } = await import('../src/load/index.ts');
const { PID_LABEL, dockerEngine } = await import('../src/provision/container/index.ts');
const { silentLogger } = await import('../src/core/log.ts');

/** Why the tests cannot run here, or null. */
async function engineProblem(image = IMAGE): Promise<string | null> {
  let docker;
  try {
    ({ docker } = await Promise.race([
      dockerEngine(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no Docker engine answered within 20 s')), 20_000).unref()),
    ]));
  } catch (err) {
    return (err as Error).message;
  }
  const present = await docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  return present ? null : `the image ${image} is not on the Docker engine`;
}

const problem = await engineProblem();
/** a second image of a newer major than the host's client tools, for the dump-version case */
const NEWER_IMAGE = process.env.REHEARSE_CONTAINER_NEWER_IMAGE ?? 'rehearse-local/postgres:17';
const newerProblem = problem ?? (await engineProblem(NEWER_IMAGE));
if (!problem && newerProblem) console.warn(`container test of a newer pg_dump's archive skipped: ${newerProblem}; scripts/container-image.sh 17 builds it`);
if (problem && !REQUIRED) {
  console.warn(`container tests skipped: ${problem}; ${HOW_TO}. Set REHEARSE_CONTAINER_TESTS=1 to make this a failure.`);
}

describe.runIf(problem !== null && REQUIRED)('container tests (REHEARSE_CONTAINER_TESTS=1)', () => {
  it('need a Docker engine and the local image', () => {
    throw new Error(`REHEARSE_CONTAINER_TESTS is set but ${problem}: ${HOW_TO}`);
  });
});

/** Containers (running or not) whose label says they belong to the given process. */
async function containersOf(pid: number): Promise<string[]> {
  const { docker } = await dockerEngine();
  const list = await docker.listContainers({ all: true, filters: { label: [`${PID_LABEL}=${pid}`] } });
  return list.map((c) => c.Id);
}

/** the major of the image's tag (rehearse-local/postgres:15 → 15), or whatever the server says */
const imageMajor = (major: number | undefined) => Number(IMAGE.split(':')[1]) || major;

const hostNetwork = { provider: 'container' as const, image: IMAGE, containerNetwork: 'host' };

describe.skipIf(problem !== null)('container provider', () => {
  let dir: string;
  /** the shop fixture (scale 2000) as a custom archive of the image's pg_dump, made by the acceptance test */
  let custom: string | undefined;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-container-'));
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
    expect(await containersOf(process.pid)).toEqual([]);
  });

  it('starts on 127.0.0.1 with the load settings, restarts with the replay settings, and leaves nothing', async () => {
    const { sql } = await import('./helpers/db.ts');
    const inst = await provision({ ...hostNetwork, settings: { work_mem: '16MB', maintenance_work_mem: '256MB' } }, silentLogger);
    try {
      expect(inst.provider).toBe('container');
      expect(new URL(inst.url).hostname).toBe('127.0.0.1');
      expect(inst.major).toBe(Number(IMAGE.split(':')[1]) || inst.major);
      expect(await containersOf(process.pid)).toEqual([inst.container!.id]);

      // the user's settings win in the replay; the load settings win while loading
      expect(await inst.settingsInForce()).toMatchObject({
        fsync: 'off',
        wal_level: 'minimal',
        autovacuum: 'off',
        work_mem: '16MB',
        maintenance_work_mem: '1GB',
      });
      await sql(inst.url, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (1), (2)');
      await inst.prepareForReplay();
      expect(await inst.settingsInForce()).toMatchObject({
        fsync: 'on',
        synchronous_commit: 'on',
        full_page_writes: 'on',
        wal_level: 'replica',
        autovacuum: 'on',
        work_mem: '16MB',
        maintenance_work_mem: '256MB',
      });
      // the restart kept the data, and the URL still reaches it
      expect(await sql(inst.url, 'SELECT count(*)::int AS n FROM kept')).toEqual([{ n: 2 }]);

      // the container's own tools reach the rehearsal database
      const r = await inst.container!.exec(['psql', '-X', '-Atc', 'SELECT current_database(), current_user']);
      expect(r).toMatchObject({ exitCode: 0, stdout: 'rehearse|postgres\n' });
      const bad = await inst.container!.exec(['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-c', 'SELECT * FROM missing_table']);
      expect(bad.exitCode).not.toBe(0);
      expect(bad.stderr).toMatch(/relation "missing_table" does not exist/);
    } finally {
      await inst.stop();
    }
    await inst.stop(); // twice is fine
    expect(await containersOf(process.pid)).toEqual([]);
    await expect(sql(inst.url, 'SELECT 1')).rejects.toThrow();
  });

  it('restores dumps made by the container’s own pg_dump inside the container, then replays the example migrations', async () => {
    const { loadDataset } = await import('../src/load/index.ts');
    const { readMigrations } = await import('../src/migrations/index.ts');
    const { replay } = await import('../src/replay/index.ts');
    const { sql } = await import('./helpers/db.ts');
    const { tableFingerprints } = await import('./helpers/dumps.ts');

    // the source: the shop fixture, dumped by the container's pg_dump straight into host files
    const source = await provision(hostNetwork, silentLogger);
    custom = path.join(dir, 'shop.dump');
    const plainGz = path.join(dir, 'shop.sql.gz');
    let fingerprints: Record<string, string>;
    let target: Awaited<ReturnType<typeof provision>> | undefined;
    try {
      await loadDataset(source.url, { kind: 'fixture', name: 'shop', scale: 2000 }, silentLogger);
      fingerprints = await tableFingerprints(source.url);
      expect(Object.keys(fingerprints)).toEqual(expect.arrayContaining(['orders', 'order_items', 'users', 'products']));
      expect((await source.container!.exec(['pg_dump', '-Fc', '--no-sync'], { stdoutFile: custom })).exitCode).toBe(0);
      const plain = path.join(dir, 'shop.sql');
      expect((await source.container!.exec(['pg_dump', '-Fp'], { stdoutFile: plain })).exitCode).toBe(0);
      await pipeline(createReadStream(plain), createGzip(), createWriteStream(plainGz));
      expect((await fs.readFile(custom)).subarray(0, 5).toString('latin1')).toBe('PGDMP');

      // the rehearsal server: the custom archive restored by the container's pg_restore
      target = await provision(hostNetwork, silentLogger);
      await restoreInContainer(target, custom, 'custom', silentLogger, { jobs: 2 });
      expect(await tableFingerprints(target.url)).toEqual(fingerprints);
      // the copy of the archive inside the container is gone again
      const leftovers = await target.container!.exec(['sh', '-c', 'ls -d /tmp/pg-rehearse-* 2>/dev/null || true']);
      expect(leftovers.stdout.trim()).toBe('');

      // plain SQL (gzip) is streamed into the container's psql
      await sql(source.url, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      await restoreInContainer(source, plainGz, 'plain-gzip', silentLogger);
      expect(await tableFingerprints(source.url)).toEqual(fingerprints);
    } finally {
      await source.stop();
    }

    try {
      const set = await readMigrations('fixtures/shop/migrations', { url: target!.url });
      const pending = set.migrations.filter((m) => m.pending);
      expect(pending.length).toBe(set.migrations.length);
      await target!.prepareForReplay();
      const result = await replay({ url: target!.url, migrations: pending, log: silentLogger });
      expect(result.ok).toBe(true);
      expect(result.migrations.map((m) => m.status)).toEqual(pending.map(() => 'applied'));
      const cols = await sql<{ column_name: string }>(target!.url, `SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY 1`);
      expect(cols.map((c) => c.column_name)).toContain('total_cents');
    } finally {
      await target?.stop();
    }
    expect(await containersOf(process.pid)).toEqual([]);
  });

  it.skipIf(newerProblem !== null)(
    'an archive of a pg_dump newer than the host’s pg_restore restores with the container’s own (needs rehearse-local/postgres:17)',
    async () => {
      const { loadDataset } = await import('../src/load/index.ts');
      const { clientTool } = await import('../src/load/client-tools.ts');
      const { sql } = await import('./helpers/db.ts');
      const { tableFingerprints } = await import('./helpers/dumps.ts');
      const inst = await provision({ ...hostNetwork, image: NEWER_IMAGE }, silentLogger);
      try {
        expect(inst.major).toBe(17);
        await loadDataset(inst.url, { kind: 'fixture', name: 'shop', scale: 500 }, silentLogger);
        const fingerprints = await tableFingerprints(inst.url);
        const archive = path.join(dir, 'shop-17.dump');
        expect((await inst.container!.exec(['pg_dump', '-Fc'], { stdoutFile: archive })).exitCode).toBe(0);
        const host = await clientTool('pg_restore').catch(() => undefined);
        if (host && host.major < 17) {
          // the host's pg_restore refuses it: that is why the container's is used
          const refused = await execa('pg_restore', ['-l', archive], { reject: false });
          expect(refused.stderr).toMatch(/unsupported version/);
        }
        await sql(inst.url, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public');
        await restoreInContainer(inst, archive, 'custom', silentLogger);
        expect(await tableFingerprints(inst.url)).toEqual(fingerprints);
      } finally {
        await inst.stop();
      }
      expect(await containersOf(process.pid)).toEqual([]);
    },
  );

  it('a rehearsal on the container provider writes its report and leaves no container, nor does one that fails mid-run', async () => {
    expect(custom, 'the acceptance test above makes the dump').toBeDefined();
    const { rehearse } = await import('../src/rehearsal.ts');
    const { writeReport } = await import('../src/report/index.ts');
    const { planOn } = await import('./helpers/plan.ts');
    const options = { ...hostNetwork, settings: {} };

    const ok = await rehearse(planOn('fixtures/shop/migrations', { provision: options, load: { kind: 'dump', path: custom! } }), silentLogger);
    expect(ok.report.run.error).toBeUndefined();
    expect(ok.exitCode).toBe(0);
    expect(ok.report.postgres).toMatchObject({ provider: 'container', major: imageMajor(ok.report.postgres?.major) });
    expect(ok.report.migrations.length).toBeGreaterThan(0);
    expect(ok.report.migrations.every((m) => m.status === 'applied')).toBe(true);
    const file = await writeReport(ok.report, path.join(dir, 'report'));
    const written = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(written.postgres.provider).toBe('container');
    expect(written.postgres.settings).toMatchObject({ fsync: 'on', wal_level: 'replica' });
    expect(await containersOf(process.pid)).toEqual([]);

    // a failure after provisioning (the load stage refuses an unknown fixture): still no container
    const failed = await rehearse(
      planOn('fixtures/shop/migrations', { provision: options, load: { kind: 'fixture', name: 'no-such-fixture', scale: 10 } }),
      silentLogger,
    );
    expect(failed.exitCode).not.toBe(0);
    expect(failed.report.postgres).toMatchObject({ provider: 'container' });
    expect(failed.report.run.error?.message).toMatch(/no-such-fixture/);
    expect(await containersOf(process.pid)).toEqual([]);
  });

  it('a failure after the container started removes it: a bad setting, an error thrown mid-run', async () => {
    const err = await provision({ ...hostNetwork, settings: { no_such_setting: '1' } }, silentLogger).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'usage', message: expect.stringContaining('no_such_setting') });
    expect(await containersOf(process.pid)).toEqual([]);

    // the orchestrator's shape: whatever is thrown after provisioning, stop() runs in finally
    let started: string | undefined;
    const run = async () => {
      const inst = await provision(hostNetwork, silentLogger);
      try {
        started = inst.container!.id;
        expect(await containersOf(process.pid)).toEqual([started]);
        throw new Error('forced failure mid-run');
      } finally {
        await inst.stop();
      }
    };
    await expect(run()).rejects.toThrow('forced failure mid-run');
    expect(started).toBeDefined();
    expect(await containersOf(process.pid)).toEqual([]);
  });

  it('an unreachable DOCKER_HOST is an error, not a quiet fall-back to the local engine', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    try {
      const err = await provision(hostNetwork, silentLogger).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'infrastructure', message: expect.stringContaining('DOCKER_HOST=unix:///nonexistent/docker.sock does not answer') });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    expect(await containersOf(process.pid)).toEqual([]);
  });

  it('a missing image is an infrastructure error that says how to build one', async () => {
    const missing = await provision({ ...hostNetwork, image: 'rehearse-local/postgres:1' }, silentLogger).catch((e: unknown) => e);
    expect(missing).toMatchObject({ kind: 'infrastructure', message: expect.stringContaining('rehearse-local/postgres:1') });
    expect((missing as { hint: string }).hint).toContain('scripts/container-image.sh');
    expect(await containersOf(process.pid)).toEqual([]);
  });

  describe('Ctrl-C and crashes', () => {
    /** A separate process that starts a container, says so, and waits to be interrupted. */
    function child(afterReady = 'setInterval(() => {}, 1000);') {
      const code = `
        process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
        process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
        const { provision } = await import('./src/provision/index.ts');
        const { silentLogger } = await import('./src/core/log.ts');
        console.log('STARTING');
        const inst = await provision(${JSON.stringify(hostNetwork)}, silentLogger);
        console.log('READY ' + inst.container.id);
        ${afterReady}
      `;
      return execa('node', ['--import', 'tsx', '--input-type=module', '-e', code], { reject: false, cwd: process.cwd(), stdin: 'ignore' });
    }

    async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const v = await check();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    it('removes the container of a run interrupted after the start', async () => {
      const proc = child();
      let out = '';
      proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      const id = await until('READY', async () => /READY (\w+)/.exec(out)?.[1]);
      expect(await containersOf(proc.pid!)).toEqual([id]);
      proc.kill('SIGINT');
      const result = await proc;
      expect(result.exitCode ?? result.signal).not.toBe(0);
      expect(await containersOf(proc.pid!)).toEqual([]);
    });

    it('removes the container of a run interrupted while the container is still starting', async () => {
      const proc = child();
      // the container exists (created, its server initialising) before provision() returns
      await until('the container', async () => ((await containersOf(proc.pid!)).length > 0 ? true : undefined));
      proc.kill('SIGINT');
      const result = await proc;
      expect(result.stdout).not.toContain('READY');
      expect(await containersOf(proc.pid!)).toEqual([]);
    });

    it('a run that crashed (no clean-up possible) leaves its container to the next start, which removes it', async () => {
      const proc = child(`setTimeout(() => { throw new Error('crash'); }, 10);`);
      const result = await proc;
      expect(result.stderr).toContain('crash');
      const id = /READY (\w+)/.exec(result.stdout)?.[1];
      expect(id).toBeDefined();
      expect(await containersOf(proc.pid!)).toEqual([id]);
      const next = await provision(hostNetwork, silentLogger);
      await next.stop();
      expect(await containersOf(proc.pid!)).toEqual([]);
    });
  });
});
