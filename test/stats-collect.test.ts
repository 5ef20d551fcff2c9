import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { z } from 'zod';
import { collectStats, readStatsFile, StatsFileSchema, tablesWithoutColumnStats } from '../src/stats/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-stats-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const SECRETS = ['Zanzibar-Quokka-7731', 'Hypatia-Marmalade-0042', 'confidential-4242-xyzzy'];

async function dataset(): Promise<string> {
  const url = await freshDatabase('stats');
  await sql(
    url,
    `CREATE TABLE customers (id int PRIMARY KEY, secret text NOT NULL, note text, score int);
     INSERT INTO customers SELECT g, (ARRAY[${SECRETS.map((s) => `'${s}'`).join(', ')}])[1 + g % 3], CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' || (g % 500) END, g % 10
       FROM generate_series(1, 5000) g;
     CREATE INDEX customers_secret ON customers (secret);
     ANALYZE customers;`,
  );
  return url;
}

// independent databases: side by side
describe.concurrent('rehearse stats', () => {
  it('reads the catalog shape and no row value without --include-values', async () => {
    const url = await dataset();
    const file = path.join(work, 'stats.json');
    // the shared test server does not preload pg_stat_statements: one message, the rest written
    const res = await execa('node', [path.resolve('bin/rehearse.js'), 'stats', '--database-url', url, '--out', file, '--window', '300ms'], { reject: false });
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/1 tables, 5,000 rows, no row values/);
    expect(res.stderr).toMatch(/warning: no statements recorded: pg_stat_statements is not loaded: add it to shared_preload_libraries/);
    expect(res.stderr.match(/pg_stat_statements is not loaded/g)).toHaveLength(1);
    const text = fs.readFileSync(file, 'utf8');
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(text).not.toMatch(/"n\d+"/); // nor the notes
    const stats = await readStatsFile(file);
    expect(stats.includesValues).toBe(false);
    const t = stats.tables['public.customers']!;
    expect(t.rows).toBe(5000);
    expect(t.liveTuples).toBe(5000);
    expect(t.heapBytes).toBeGreaterThan(0);
    expect(t.indexBytes).toBeGreaterThan(0);
    expect(t.totalBytes).toBeGreaterThanOrEqual(t.heapBytes! + t.indexBytes!);
    expect(t.indexes).toMatchObject({ customers_pkey: { columns: ['id'], unique: true }, customers_secret: { columns: ['secret'], unique: false } });
    expect(t.columns!.secret).toMatchObject({ nullFrac: 0, nDistinct: 3 });
    expect(t.columns!.note!.nullFrac).toBeCloseTo(0.25, 2);
    expect(t.columns!.id!.nDistinct).toBe(-1);
    expect(Object.keys(stats.server!.settings!).sort()).toEqual([
      'checkpoint_completion_target',
      'checkpoint_timeout',
      'effective_cache_size',
      'full_page_writes',
      'maintenance_work_mem',
      'max_parallel_maintenance_workers',
      'max_wal_size',
      'min_parallel_table_scan_size',
      'shared_buffers',
      'wal_compression',
      'work_mem',
    ]);
    expect(t.columnTypes).toMatchObject({ id: 'integer', secret: 'text' });
    expect(stats.traffic?.statements).toBeUndefined();
    expect(stats.traffic?.statementsUnavailable).toMatch(/shared_preload_libraries/);
    expect(stats.traffic?.activity?.samples).toBeGreaterThan(0);
  });

  it('holds the values only with --include-values, and says so', async () => {
    const stats = await collectStats(await dataset(), { includeValues: true });
    StatsFileSchema.parse(stats);
    expect(stats.includesValues).toBe(true);
    expect(stats.tables['public.customers']!.columns!.secret!.mostCommonVals!.sort()).toEqual([...SECRETS].sort());
  });

  it('with pg_read_all_stats alone: rows, sizes and counters, but no column statistics; SELECT on the table adds them', async () => {
    const url = await dataset();
    const role = `stats_reader_${process.pid}`;
    await sql(url, `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN PASSWORD 'pw'; GRANT pg_read_all_stats TO ${role}`);
    const as = new URL(url);
    as.username = role;
    as.password = 'pw';
    try {
      const bare = await collectStats(as.toString());
      expect(bare.tables['public.customers']).toMatchObject({ rows: 5000, liveTuples: 5000, columns: {} });
      expect(bare.tables['public.customers']!.heapBytes).toBeGreaterThan(0);
      expect(tablesWithoutColumnStats(bare)).toEqual(['public.customers']);
      await sql(url, `GRANT SELECT ON customers TO ${role}`);
      const granted = await collectStats(as.toString());
      expect(Object.keys(granted.tables['public.customers']!.columns!).sort()).toEqual(['id', 'note', 'score', 'secret']);
      // the session is read-only whatever it is sent
      const c = new pg.Client({ connectionString: as.toString(), options: '-c default_transaction_read_only=on' });
      await c.connect();
      await expect(c.query('CREATE TABLE t (id int)')).rejects.toThrow(/read-only transaction/);
      await c.end();
    } finally {
      await sql(url, `REVOKE ALL ON customers FROM ${role}; DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});

describe('docs/stats.schema.json', () => {
  it('is the JSON Schema generated from src/stats/schema.ts (run `npm run docs:schema` after changing it)', () => {
    const onDisk = JSON.parse(fs.readFileSync('docs/stats.schema.json', 'utf8'));
    const { title: _t, ...schema } = onDisk;
    expect(schema).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(StatsFileSchema, { target: 'draft-2020-12' }))));
  });
});
