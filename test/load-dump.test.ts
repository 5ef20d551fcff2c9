import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDumpFormat, loadDataset, type DumpFormat } from '../src/load/index.ts';
import { clientTool } from '../src/load/client-tools.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { buildDumps, tableFingerprints, type SourceDumps } from './helpers/dumps.ts';
import { rejection } from './helpers/errors.ts';

let dumps: SourceDumps;

beforeAll(async () => {
  dumps = await buildDumps();
}, 300_000);

afterAll(async () => {
  await dumps?.cleanup();
});

describe('restoring a dump', () => {
  const cases: { kind: keyof SourceDumps & ('custom' | 'directory' | 'tar' | 'plain' | 'plainGz'); format: DumpFormat }[] = [
    { kind: 'custom', format: 'custom' },
    { kind: 'directory', format: 'directory' },
    { kind: 'tar', format: 'tar' },
    { kind: 'plain', format: 'plain' },
    { kind: 'plainGz', format: 'plain-gzip' },
  ];

  it.each(cases)('restores a $format dump with the rows of the source', async ({ kind, format }) => {
    const url = await freshDatabase('load');
    const dumpPath = dumps[kind];
    const summary = await loadDataset(url, { kind: 'dump', path: dumpPath }, silentLogger);

    expect(summary.source).toEqual({ kind: 'dump', path: dumpPath, format });
    const rows = Object.fromEntries(summary.tables.map((t) => [t.name, t.rows]));
    expect(rows).toEqual(dumps.rows);
    expect(rows['audit.events']).toBe(500);
    expect(rows.orders).toBe(2000);
    expect(summary.tables.every((t) => !t.rowsEstimated && t.bytes > 0)).toBe(true);
    expect(await tableFingerprints(url)).toEqual(dumps.fingerprints);

    // loadMs covers the restore, VACUUM ANALYZE and CHECKPOINT
    expect(summary.phaseMs).toBeDefined();
    const { load, vacuumAnalyze, checkpoint } = summary.phaseMs!;
    expect(summary.loadMs).toBeGreaterThanOrEqual(load + vacuumAnalyze + checkpoint - 2);
    const stats = await sql<{ relname: string; last_vacuum: Date | null; last_analyze: Date | null }>(
      url,
      `SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = 'orders'`,
    );
    expect(stats[0]?.last_vacuum).not.toBeNull();
    expect(stats[0]?.last_analyze).not.toBeNull();
  });

  it('restores a dump whose name says otherwise: the content decides', async () => {
    const plainNamedDump = path.join(dumps.dir, 'actually-plain.dump');
    const customNamedSql = path.join(dumps.dir, 'actually-custom.sql');
    await fs.copyFile(dumps.plain, plainNamedDump);
    await fs.copyFile(dumps.custom, customNamedSql);
    expect(await detectDumpFormat(plainNamedDump)).toBe('plain');
    expect(await detectDumpFormat(customNamedSql)).toBe('custom');
    expect(await detectDumpFormat(dumps.directory)).toBe('directory');
    expect(await detectDumpFormat(dumps.tar)).toBe('tar');
    expect(await detectDumpFormat(dumps.plainGz)).toBe('plain-gzip');

    const url = await freshDatabase('load');
    const summary = await loadDataset(url, { kind: 'dump', path: customNamedSql }, silentLogger);
    expect(summary.source).toMatchObject({ format: 'custom' });
    expect(Object.fromEntries(summary.tables.map((t) => [t.name, t.rows]))).toEqual(dumps.rows);
  });
});

describe('dumps that cannot be loaded', () => {
  it('junk, an empty file and a missing file are usage errors naming the file', async () => {
    const junk = path.join(dumps.dir, 'junk.dump');
    await fs.writeFile(junk, Buffer.from([0x00, 0x13, 0x37, 0xff, 0x00, 0x42, 0x99, 0x01]));
    const empty = path.join(dumps.dir, 'empty.sql');
    await fs.writeFile(empty, '');
    const url = await freshDatabase('load');

    for (const file of [junk, empty]) {
      const err = await rejection(loadDataset(url, { kind: 'dump', path: file }, silentLogger));
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe(`${file} is not a PostgreSQL dump (expected pg_dump custom/directory/tar or plain SQL)`);
    }
    const missing = path.join(dumps.dir, 'no-such.dump');
    const err = await rejection(loadDataset(url, { kind: 'dump', path: missing }, silentLogger));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(missing);
    expect(err.message).toMatch(/does not exist/);
  });

  it('an archive from a pg_dump newer than the installed pg_restore: infra error naming both versions', async () => {
    const installed = await clientTool('pg_restore');
    const future = path.join(dumps.dir, 'future.dump');
    const bytes = await fs.readFile(dumps.custom);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('PGDMP');
    bytes[6] = 99; // header: "PGDMP" major minor rev → 1.99
    await fs.writeFile(future, bytes);

    const url = await freshDatabase('load');
    const err = await rejection(loadDataset(url, { kind: 'dump', path: future }, silentLogger));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(future);
    expect(err.message).toContain('format version 1.99');
    expect(err.message).toContain(`pg_restore ${installed.version}`);
    expect(err.hint).toMatch(/newer postgresql-client/);
  });

  it('an archive of pg_dump 17 read by an older pg_restore names pg_dump 17', async () => {
    const installed = await clientTool('pg_restore');
    if (installed.major >= 17) return; // this pg_restore reads 1.16: nothing to refuse
    const v17 = path.join(dumps.dir, 'v17.dump');
    const bytes = await fs.readFile(dumps.custom);
    bytes[6] = 16;
    await fs.writeFile(v17, bytes);
    const url = await freshDatabase('load');
    const err = await rejection(loadDataset(url, { kind: 'dump', path: v17 }, silentLogger));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('format version 1.16, likely written by pg_dump 17 or later');
    expect(err.message).toMatch(new RegExp(`installed pg_restore ${installed.version} \\(reads archives up to 1\\.\\d+\\)`));
    expect(err.hint).toContain('postgresql-client-17');
  });

  it('a restore that fails is an infra error quoting pg_restore, without the password', async () => {
    const url = await freshDatabase('load');
    await sql(url, 'CREATE TABLE orders (id int)'); // the dump's CREATE TABLE orders fails
    const err = await rejection(loadDataset(url, { kind: 'dump', path: dumps.custom }, silentLogger));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/^pg_restore of .* failed \(exit 1\): .*relation "orders" already exists/);
    const password = decodeURIComponent(new URL(url).password);
    expect(password.length).toBeGreaterThan(0);
    expect(err.message).not.toContain(password);
  });

  it('a plain SQL dump that fails is an infra error quoting psql', async () => {
    const url = await freshDatabase('load');
    await sql(url, 'CREATE TABLE users (id int)');
    const err = await rejection(loadDataset(url, { kind: 'dump', path: dumps.plainGz }, silentLogger));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/^psql loading .* failed \(exit 3\): line \d+: ERROR: +relation "users" already exists/);
  });

  it('says what to install when pg_restore or psql is missing', async () => {
    const emptyBin = await fs.mkdtemp(path.join(dumps.dir, 'bin-'));
    const savedPath = process.env.PATH;
    process.env.PATH = emptyBin;
    try {
      const url = await freshDatabase('load');
      for (const [file, tool] of [
        [dumps.custom, 'pg_restore'],
        [dumps.plain, 'psql'],
      ] as const) {
        const err = await rejection(loadDataset(url, { kind: 'dump', path: file }, silentLogger));
        expect(err.exitCode).toBe(3);
        expect(err.message).toContain(`${tool} is not installed`);
        expect(err.hint).toBe('install the PostgreSQL client tools: apt-get install postgresql-client / brew install libpq');
      }
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
