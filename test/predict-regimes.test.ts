import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser, predict, runPredictions, startCalibration, statementKey, type Prediction } from '../src/analyze/predict/index.ts';
import { indexWorkers } from '../src/analyze/predict/regimes.ts';
import { parseDuration, parseRegimeSettings, parseSize } from '../src/analyze/predict/settings.ts';
import { summarizeTables } from '../src/load/index.ts';
import { replay } from '../src/replay/index.ts';
import { reportMigrations } from '../src/report/index.ts';
import { predictedText } from '../src/report/render/prediction.ts';
import { silentLogger } from '../src/core/log.ts';
import type { StatsFile } from '../src/stats/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { migrationOf } from './helpers/migrations.ts';

const MB = 1024 * 1024;

describe('regime settings (pure)', () => {
  it('reads sizes and durations as current_setting prints them, and bare numbers in the unit of the setting', () => {
    expect(parseSize('128MB', 8192)).toBe(128 * MB);
    expect(parseSize('16384', 8192)).toBe(128 * MB);
    expect(parseSize('1GB', MB)).toBe(1024 * MB);
    expect(parseDuration('5min', 1000)).toBe(300_000);
    expect(parseDuration('300', 1000)).toBe(300_000);
    expect(parseSize('lots', 1)).toBeNull();
    const s = parseRegimeSettings({ full_page_writes: 'on', max_wal_size: '64MB' });
    expect(s.fullPageWrites).toBe(true);
    expect(s.maxWalSize).toBe(64 * MB);
    expect(s.sharedBuffers).toBeNull();
  });

  it('plans parallel index build workers as PostgreSQL does (log₃ of the heap, capped, 32 MB each)', () => {
    const s = parseRegimeSettings({ max_parallel_maintenance_workers: '2', maintenance_work_mem: '64MB', min_parallel_table_scan_size: '8MB' });
    expect(indexWorkers(4 * MB, s)).toBe(0);
    // 400 MB: log₃(50) → 4, capped at 2, then 64 MB / 3 < 32 MB → 1
    expect(indexWorkers(400 * MB, s)).toBe(1);
    expect(indexWorkers(400 * MB, { ...s, maintenanceWorkMem: 1024 * MB })).toBe(2);
  });
});

describe('regimes in predictions (pure, parser loaded)', () => {
  // a full-table UPDATE measured at 10k rows (1.5 MB) and on samples; production at 200k rows
  const points = (rows: number[], msPerRow = 0.01, walPerRow = 200) =>
    rows.map((r, i) => ({ rows: r, ms: r * msPerRow, walBytes: r * walPerRow, fraction: i === 0 ? 1 : r / rows[0]! }));
  const run = async (stats: StatsFile, rehearsalSettings: Record<string, string> | undefined, measured = points([10_000, 2_500, 2_520, 5_000])) => {
    await loadParser();
    const [first, ...samples] = measured;
    return predict({
      migrations: [
        {
          id: '001',
          statements: [{ index: 0, sql: 'UPDATE t SET flag = n % 7', durationMs: first!.ms, lockHeldMs: first!.ms, rewrites: [], walBytes: first!.walBytes }],
        },
      ],
      unitOf: () => 0,
      rehearsal: new Map([['public.t', { rows: first!.rows, bytes: 1.5 * MB }]]),
      calibration: samples.map((s) => ({
        fraction: s.fraction,
        rows: new Map([['public.t', s.rows]]),
        migrations: [{ id: '001', statements: [{ index: 0, durationMs: s.ms, walBytes: s.walBytes }] }],
      })),
      stats,
      statsFile: 'prod.json',
      ...(rehearsalSettings ? { rehearsalSettings } : {}),
    });
  };
  const rehearsalServer = {
    shared_buffers: '128MB',
    max_wal_size: '1GB',
    checkpoint_timeout: '5min',
    effective_cache_size: '4GB',
    checkpoint_completion_target: '0.9',
  };
  const lowered = { ...rehearsalServer, shared_buffers: '2MB', max_wal_size: '32MB' };
  const production = (settings?: Record<string, string>): StatsFile => ({
    tables: { t: { rows: 200_000, totalBytes: 30 * MB } },
    ...(settings ? { server: { settings } } : {}),
  });

  it('an UPDATE whose rows outgrow shared_buffers and whose WAL crosses max_wal_size in production is untrusted, naming both, with a wide interval', async () => {
    const p = (await run(production(lowered), rehearsalServer)).statements.get('001#0')!;
    expect(p.coverage).toBe(0.8);
    expect(p.regimes?.map((r) => r.regime)).toEqual(['shared_buffers', 'checkpoints']);
    expect(p.regimes?.every((r) => r.material && !r.calibrated)).toBe(true);
    const reasons = p.trust?.reasons.join('\n') ?? '';
    expect(reasons).toMatch(/regime crossed \(shared_buffers\): .*outgrow shared_buffers \(2 MB\)/);
    expect(reasons).toMatch(/regime crossed \(checkpoints\): its WAL \(about 38 MB\) is over the checkpoint distance of max_wal_size 32 MB/);
    expect(reasons).toMatch(/no measured points lie on production's side at two sizes/);
    // never a narrow interval: the upper end covers a 2.5 × 2.5 slow-down
    expect(p.high / p.durationMs).toBeGreaterThanOrEqual(6);
    expect(p.notes).toContain('WAL measured: about 200 bytes per row');
    expect(predictedText({ durationMs: 100, lockHeldMs: 100, predicted: p })).toMatch(/· untrusted: regime crossed \(shared_buffers, checkpoints\)$/);
  });

  it('calibrated across the boundary: points past it on the rehearsal server are fitted alone, and trusted', async () => {
    // the rehearsal server's settings scaled down: the rehearsal and two samples are past both boundaries,
    // the smallest sample is not past max_wal_size's checkpoint distance (16.8 MB of WAL)
    const scaled = { ...rehearsalServer, shared_buffers: '256kB', max_wal_size: '32MB' };
    // past the boundary the rows cost 3× what they cost before it
    const measured = [
      { rows: 200_000, ms: 6000, walBytes: 200_000 * 200, fraction: 1 },
      { rows: 50_000, ms: 500, walBytes: 50_000 * 200, fraction: 0.25 },
      { rows: 100_000, ms: 3000, walBytes: 100_000 * 200, fraction: 0.5 },
      { rows: 150_000, ms: 4500, walBytes: 150_000 * 200, fraction: 0.75 },
    ];
    // production: 2M rows as wide as the rehearsal's (1.5 MB per 200k rows)
    const out = await run({ tables: { t: { rows: 2_000_000, totalBytes: 15 * MB } }, server: { settings: lowered } }, scaled, measured);
    const p = out.statements.get('001#0')!;
    expect(p.regimes?.map((r) => [r.regime, r.calibrated])).toEqual([['checkpoints', true]]);
    expect(p.trust).toBeUndefined();
    expect(p.notes.join('\n')).toMatch(/calibrated across checkpoints: fitted on the 3 measured points past the boundary/);
    // 0.03 ms per row past the boundary (not the 0.01 of the 50k sample), rows a little narrower in production
    expect(p.durationMs).toBeGreaterThan(50_000);
    expect(p.durationMs).toBeLessThan(62_000);
    expect(p.low).toBeLessThan(p.durationMs);
    expect(p.high).toBeGreaterThan(p.durationMs);
  });

  it("production's settings missing from the statistics file: assumed as the rehearsal's, and said; no settings at all: regimes not judged", async () => {
    const assumed = await run(production(), rehearsalServer);
    expect(assumed.summary.notes.join('\n')).toMatch(/production's .*shared_buffers.* not in the statistics file: assumed as the rehearsal server's/);
    expect(assumed.statements.get('001#0')!.regimes).toBeUndefined();
    const none = await run(production(lowered), undefined);
    expect(none.summary.notes.join('\n')).toMatch(/settings were not read .*regimes .* not judged/);
  });
});

/**
 * The UPDATE of issue 24 at test size on real PostgreSQL: a 10k-row table rehearsed and calibrated
 * on this server (shared_buffers 128 MB, max_wal_size 1 GB), predicted for a production of 200k
 * rows whose shared_buffers (1 MB) and max_wal_size (32 MB) the table and the UPDATE's WAL cross.
 * The ground truth asserted is the regime: the prediction is marked untrusted naming both, with
 * the WAL measured per row, never a narrow interval.
 */
describe('the UPDATE across shared_buffers and max_wal_size on real PostgreSQL', () => {
  let p: Prediction;
  let notes: string[];
  beforeAll(async () => {
    const url = await freshDatabase('regimes');
    await sql(
      url,
      `CREATE TABLE t (id int PRIMARY KEY, n int, flag int, note text); INSERT INTO t SELECT i, (i * 7919) % 100003, 0, md5(i::text) FROM generate_series(1, 10000) i`,
    );
    await sql(url, 'VACUUM ANALYZE t');
    const tables = await summarizeTables(url);
    const calibration = await startCalibration(url, silentLogger);
    const migrations = [migrationOf('001', ['UPDATE t SET flag = n % 7'])];
    try {
      const result = await replay({ url, migrations, log: silentLogger });
      expect(result.ok).toBe(true);
      const bytes = tables.find((t) => t.name === 't')!.bytes;
      const out = await runPredictions({
        measured: reportMigrations(result.migrations),
        pending: migrations,
        tables,
        stats: {
          tables: { 'public.t': { rows: 200_000, totalBytes: bytes * 20 } },
          server: { settings: { ...calibration.settings, shared_buffers: '1MB', max_wal_size: '32MB' } },
        },
        statsFile: 'prod-stats.json',
        calibration,
        fractions: [0.25, 0.5],
        log: silentLogger,
      });
      p = out.statements.get(statementKey('001', 0))!;
      notes = out.summary.notes;
    } finally {
      await calibration.drop();
    }
  });

  it('is marked untrusted naming the regimes crossed, with the WAL measured per row and a wide interval', () => {
    expect(p.model).toBe('row-updates');
    expect(p.basis.length).toBe(5);
    for (const b of p.basis) expect(b.walBytes).toBeGreaterThan(b.rows * 20);
    const crossed = p.regimes?.filter((r) => r.material && !r.calibrated).map((r) => r.regime);
    expect(crossed).toEqual(expect.arrayContaining(['shared_buffers', 'checkpoints']));
    expect(p.trust?.reasons.some((r) => r.startsWith('regime crossed (shared_buffers)'))).toBe(true);
    expect(p.trust?.reasons.some((r) => r.startsWith('regime crossed (checkpoints)'))).toBe(true);
    expect(p.high).toBeGreaterThanOrEqual(p.durationMs * 6);
    expect(p.coverage).toBe(0.8);
    // every setting production's file gave: nothing assumed
    expect(notes.join('\n')).not.toMatch(/assumed as the rehearsal server's/);
    // a server the test did not start for the tool: never restarted, and said
    expect(notes.join('\n')).toMatch(/the calibration replays ran on the rehearsal server's own settings/);
  });
});
