import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParser, predict, runPredictions, startCalibration, statementKey, type Prediction } from '../src/analyze/predict/index.ts';
import { extrapolate, representative } from '../src/analyze/predict/fit.ts';
import { calibrateAcross } from '../src/analyze/predict/predict.ts';
import { calibrationScale } from '../src/analyze/predict/run.ts';
import { scaledSettings } from '../src/analyze/predict/scale.ts';
import { PACED_CHECKPOINTS, parseRegimeSettings } from '../src/analyze/predict/settings.ts';
import { summarizeTables } from '../src/load/index.ts';
import { provision, type Instance } from '../src/provision/index.ts';
import { replay } from '../src/replay/index.ts';
import { reportMigrations } from '../src/report/index.ts';
import { silentLogger } from '../src/core/log.ts';
import type { StatsFile } from '../src/stats/index.ts';
import { sql } from './helpers/db.ts';
import { migrationOf } from './helpers/migrations.ts';

const MB = 1024 * 1024;
const production = parseRegimeSettings({
  shared_buffers: '32MB',
  max_wal_size: '128MB',
  checkpoint_completion_target: '0.9',
  maintenance_work_mem: '64MB',
  max_parallel_maintenance_workers: '2',
});

describe("production's settings scaled to a sample (pure)", () => {
  it('scales shared_buffers, keeps WAL buffering and the index build settings as production has them', () => {
    const s = scaledSettings(production, 0.1)!;
    // 3.2 MB: 410 pages of 8 kB
    expect(s.server.shared_buffers).toBe('3280kB');
    // production's automatic wal_buffers: 1/32 of its shared_buffers
    expect(s.server.wal_buffers).toBe('1024kB');
    expect(s.server.maintenance_work_mem).toBe('65536kB');
    expect(s.server.max_parallel_maintenance_workers).toBe('2');
  });

  it('paces checkpoints itself when max_wal_size scaled falls below its floor of two WAL segments, else scales it', () => {
    const low = scaledSettings(production, 0.1)!;
    // production checkpoints every 128 MB / 1.9 of WAL: a tenth of that
    expect(low.checkpointEvery).toBeCloseTo((128 * MB) / 1.9 / 10, 0);
    expect(low.server.max_wal_size).toBeUndefined();
    expect(low.text).toMatch(/a checkpoint every 6\.7 MB of WAL \(max_wal_size scaled is below its floor of 32 MB/);
    const high = scaledSettings(production, 0.5)!;
    expect(high.server.max_wal_size).toBe('64MB');
    expect(high.checkpointEvery).toBeNull();
  });

  it('never scales shared_buffers below 1 MB (an index build runs out of buffers), nor without production’s, nor up', () => {
    expect(scaledSettings(production, 0.0001)!.server.shared_buffers).toBe('1024kB');
    expect(scaledSettings(parseRegimeSettings({ max_wal_size: '1GB' }), 0.1)).toBeNull();
    expect(scaledSettings(production, 1)).toBeNull();
    // the paced distance is the setting a point is judged on
    expect(parseRegimeSettings({ [PACED_CHECKPOINTS]: '262144B' }).checkpointEvery).toBe(262_144);
  });

  it('the scale is production’s bytes over the rehearsal’s for the largest driving table; production’s settings over the rehearsal’s', () => {
    const rehearsal = new Map([
      ['public.t', { rows: 10_000, bytes: 2 * MB }],
      ['public.u', { rows: 1_000, bytes: MB }],
    ]);
    const stats: StatsFile = {
      tables: { t: { rows: 200_000, totalBytes: 60 * MB }, u: { rows: 2_000 } },
      server: { settings: { shared_buffers: '16MB' } },
    };
    const scale = calibrationScale(['public.t', 'public.u'], rehearsal, stats, { shared_buffers: '128MB', max_wal_size: '1GB' })!;
    expect(scale.ratio).toBe(30);
    expect(scale.production.sharedBuffers).toBe(16 * MB);
    expect(scale.production.maxWalSize).toBe(1024 * MB);
    expect(calibrationScale(['public.u'], rehearsal, { tables: { u: { rows: 500 } } }, {})).toBeUndefined();
  });

  it('calibrates across the boundaries that the most points lie past, while they span two sizes', () => {
    const basis = [1000, 500, 500, 2000].map((rows) => ({ rows, ms: rows, source: 'sample' as const, fraction: 1 }));
    const a = { name: 'a', far: [false, true, true, true] };
    const b = { name: 'b', far: [false, false, true, true] };
    const c = { name: 'c', far: [true, false, false, false] };
    const out = calibrateAcross([c, b, a], basis);
    expect(out.calibrated.map((e) => e.name)).toEqual(['a', 'b']);
    expect(out.far.map((p) => p.rows)).toEqual([500, 2000]);
    expect(calibrateAcross([c], basis)).toEqual({ calibrated: [], far: [] });
  });
});

describe('repeated measurements (pure)', () => {
  const at = (rows: number, ms: number, fraction: number, source: 'rehearsal' | 'sample' = 'sample') => ({ rows, ms, fraction, source });
  it('the fit takes the mean of the measurements at one fraction, the whole-table sample rather than the rehearsal; their spread widens the interval', () => {
    // the rehearsal measured 3× slower than the whole-table sample prepared as the others
    const points = [at(40_000, 300, 1, 'rehearsal'), at(800, 2, 0.02), at(760, 2.2, 0.02), at(10_000, 25, 0.25), at(20_000, 50, 0.5), at(40_000, 100, 1)];
    expect(representative(points).map((p) => [p.rows, p.ms])).toEqual([
      [40_000, 100],
      [780, 2.1],
      [10_000, 25],
      [20_000, 50],
    ]);
    // without a whole-table sample the rehearsal's reading stands
    expect(representative(points.slice(0, 5)).map((p) => p.ms)).toContain(300);
    const e = extrapolate(points, 'linear', 800_000);
    // 2.5 µs a row: 2 s at 800k rows, not the rehearsal's 6 s
    expect(e.center).toBeGreaterThan(1_900);
    expect(e.center).toBeLessThan(2_100);
    // the rehearsal and the whole-table sample disagree: the noise is theirs, and the interval spans it
    expect(e.noise).toBeGreaterThan(0.5);
    expect(e.high).toBeGreaterThan(2 * e.center);
  });

  it('two sizes only: no fixed part is read from them (two readings fit any line)', () => {
    // a free line through these two puts 227 ms of the 269 in a fixed part, and 1 s at 800k rows
    const e = extrapolate([at(20_000, 248, 0.5), at(40_000, 269, 1), at(40_000, 300, 1)], 'linear', 800_000);
    expect(e.fit.a).toBe(0);
    expect(e.center).toBeGreaterThan(6_000);
    expect(e.center).toBeLessThan(6_600);
  });

  it('two sizes only: the interval spans each point scaled alone', () => {
    const e = extrapolate([at(20_000, 80, 0.5), at(40_000, 200, 1), at(40_000, 200, 1)], 'linear', 800_000);
    // 4 µs a row at 20k, 5 µs at 40k
    expect(e.low).toBeLessThanOrEqual(3_200);
    expect(e.high).toBeGreaterThanOrEqual(4_000);
  });
});

describe('predictions on points measured on scaled settings (pure, parser loaded)', () => {
  const rehearsalServer = { shared_buffers: '32MB', max_wal_size: '128MB', checkpoint_completion_target: '0.9', effective_cache_size: '4GB' };
  // scaled to the samples: 1 MB of shared_buffers, a checkpoint every 256 kB of WAL
  const scaled = { ...rehearsalServer, shared_buffers: '1MB', [PACED_CHECKPOINTS]: '262144B' };
  const run = async (sqlText: string, rewrites: { relation: string; relkind: string | null }[] = [], targetRows = 400_000) => {
    await loadParser();
    // 10k rows (1.5 MB) rehearsed at 0.01 ms a row, the samples on the same settings alike; on the
    // scaled settings past the boundaries each row costs 0.03 ms
    const own = [
      { rows: 2_500, ms: 25 },
      { rows: 2_520, ms: 25.2 },
      { rows: 5_000, ms: 50 },
    ];
    const past = [
      { rows: 5_000, ms: 150 },
      { rows: 10_000, ms: 300 },
      { rows: 10_000, ms: 300 },
    ];
    const sample = (p: { rows: number; ms: number }, settings?: Record<string, string>) => ({
      fraction: p.rows / 10_000,
      rows: new Map([['public.t', p.rows]]),
      migrations: [{ id: '001', statements: [{ index: 0, durationMs: p.ms, walBytes: p.rows * 200 }] }],
      ...(settings ? { settings } : {}),
    });
    return predict({
      migrations: [{ id: '001', statements: [{ index: 0, sql: sqlText, durationMs: 100, lockHeldMs: 100, rewrites, walBytes: 10_000 * 200 }] }],
      unitOf: () => 0,
      rehearsal: new Map([['public.t', { rows: 10_000, bytes: 1.5 * MB }]]),
      calibration: [...own.map((p) => sample(p)), ...past.map((p) => sample(p, scaled))],
      // production: 400k rows (60 MB), past shared_buffers and, with 80 MB of WAL, past the checkpoint distance
      stats: { tables: { t: { rows: targetRows, totalBytes: (targetRows / 400_000) * 60 * MB } }, server: { settings: rehearsalServer } },
      statsFile: 'prod.json',
      rehearsalSettings: rehearsalServer,
    }).statements.get('001#0')!;
  };

  it('an UPDATE past shared_buffers and checkpoints: fitted on the scaled points alone, calibrated, trusted', async () => {
    const p = await run('UPDATE t SET flag = n % 7');
    expect(p.regimes?.map((r) => [r.regime, r.calibrated])).toEqual([
      ['shared_buffers', true],
      ['checkpoints', true],
    ]);
    expect(p.trust).toBeUndefined();
    // 0.03 ms a row past the boundaries: 12 s at 400k rows, not the 4 s of the rehearsal's settings
    expect(p.durationMs).toBeCloseTo(12_000, -2);
    expect(p.low).toBeLessThan(p.durationMs);
    expect(p.high).toBeGreaterThan(p.durationMs);
    expect(p.basis.filter((b) => b.settings).length).toBe(3);
    expect(p.notes.join('\n')).toMatch(/calibrated across shared_buffers, checkpoints: fitted on the 3 measured points/);
  });

  it('samples less deep past shared_buffers than production (the scaled setting at its floor): untrusted, said, the high end widened', async () => {
    // production 2M rows: 600 MB dirtied over 32 MB is 18.8× past; the 10k-row samples on 1 MB are 3× past
    const p = await run('UPDATE t SET flag = n % 7', [], 2_000_000);
    expect(p.regimes?.find((r) => r.regime === 'shared_buffers')?.calibrated).toBe(true);
    expect(p.trust?.reasons.join('\n')).toMatch(
      /calibrated only part way \(shared_buffers\): the deepest measured point lies 3× past the boundary, production 18\.8×/,
    );
    expect(p.high / p.durationMs).toBeGreaterThan(4);
  });

  it('a rewrite whose index rebuilds production plans parallel workers for is untrusted, naming it, the interval reaching down', async () => {
    await loadParser();
    const settings = { shared_buffers: '128MB', max_parallel_maintenance_workers: '2', maintenance_work_mem: '1GB', min_parallel_table_scan_size: '8MB' };
    const sample = (rows: number) => ({
      fraction: rows / 10_000,
      rows: new Map([['public.t', rows]]),
      migrations: [{ id: '001', statements: [{ index: 0, durationMs: rows / 100 }] }],
    });
    const p = predict({
      migrations: [
        {
          id: '001',
          statements: [
            { index: 0, sql: 'ALTER TABLE t ALTER COLUMN n TYPE bigint', durationMs: 100, lockHeldMs: 100, rewrites: [{ relation: 'public.t', relkind: 'r' }] },
          ],
        },
      ],
      unitOf: () => 0,
      rehearsal: new Map([['public.t', { rows: 10_000, bytes: 1.5 * MB }]]),
      calibration: [2_500, 2_510, 5_000].map(sample),
      // 4M rows, 600 MB: two workers (log₃ of 600/8 MB, capped at 2); the rehearsal's 1.5 MB none
      stats: { tables: { t: { rows: 4_000_000, totalBytes: 600 * MB } }, server: { settings } },
      statsFile: 'prod.json',
      rehearsalSettings: settings,
    }).statements.get('001#0')!;
    expect(p.trust?.reasons.join('\n')).toMatch(
      /regime crossed \(parallel workers\): the rewrite rebuilds the table's indexes, and production's builds plan 2 parallel worker\(s\)/,
    );
    // 0.01 ms a row: 40 s; down to (1 + 0) / (1 + 2) × 0.9 of it
    expect(p.durationMs).toBeCloseTo(40_000, -3);
    expect(p.low).toBeLessThanOrEqual(40_000 * 0.3 + 1);
  });

  it('a rewrite (bounded regimes: widened) stays on the points of the rehearsal server’s own settings', async () => {
    const p = await run('ALTER TABLE t ALTER COLUMN n TYPE bigint', [{ relation: 'public.t', relkind: 'r' }]);
    expect(p.model).toBe('table-rewrite');
    expect(p.regimes?.every((r) => !r.calibrated && !r.material)).toBe(true);
    // 0.01 ms a row (the rehearsal's 100 ms at 10k rows and the samples): about 4 s
    expect(p.durationMs).toBeGreaterThan(3_500);
    expect(p.durationMs).toBeLessThan(4_500);
    expect(p.notes.join('\n')).toMatch(/the interval is widened/);
  });
});

/**
 * The path end to end on a server of the test's own (embedded: the calibration may restart it): an
 * UPDATE rehearsed at 20k rows for a production of 400k rows past shared_buffers (32 MB) and the
 * checkpoint distance. Ground truth: the scaled calibration ran (its points carry the settings, the
 * checkpoints paced), the regimes are calibrated on those points, and the server is back on its own
 * settings afterwards. No timing is compared.
 */
describe('calibrating across on a restarted server (real PostgreSQL)', () => {
  let instance: Instance;
  let p: Prediction;
  let notes: string[];
  let warmed = 0;
  let pages = 0;
  beforeAll(async () => {
    instance = await provision({ provider: 'embedded', settings: { shared_buffers: '32MB', max_wal_size: '128MB' } }, silentLogger);
    await instance.prepareForReplay();
    const url = instance.url;
    await sql(
      url,
      `CREATE TABLE t (id int PRIMARY KEY, n int, flag int, note text, filler text); INSERT INTO t SELECT i, (i * 7919) % 100003, 0, md5(i::text), repeat('x', 40) FROM generate_series(1, 20000) i`,
    );
    await sql(url, 'VACUUM ANALYZE t');
    const tables = await summarizeTables(url);
    const blocks = async () =>
      (
        await sql<{ n: number; pages: number }>(
          url,
          "SELECT coalesce(heap_blks_read + heap_blks_hit, 0)::int AS n, (SELECT relpages FROM pg_class WHERE oid = 'public.t'::regclass) AS pages FROM pg_statio_user_tables WHERE relid = 'public.t'::regclass",
        )
      )[0]!;
    const before = await blocks();
    const calibration = await startCalibration(url, silentLogger, instance.restartWith!.bind(instance), ['public.t']);
    // the reading backend flushes its statistics as it exits: wait for them (up to 5 s)
    for (let i = 0; i < 50 && warmed < before.pages; i++) {
      warmed = (await blocks()).n - before.n;
      if (warmed < before.pages) await new Promise((r) => setTimeout(r, 100));
    }
    pages = before.pages;
    const migrations = [migrationOf('001', ['UPDATE t SET flag = n % 7'])];
    try {
      const result = await replay({ url, migrations, log: silentLogger });
      expect(result.ok).toBe(true);
      const bytes = tables.find((t) => t.name === 't')!.bytes;
      const out = await runPredictions({
        measured: reportMigrations(result.migrations),
        pending: migrations,
        tables,
        stats: { tables: { 'public.t': { rows: 400_000, totalBytes: bytes * 20 } }, server: { settings: calibration.settings } },
        statsFile: 'prod-stats.json',
        calibration,
        fractions: [0.5],
        log: silentLogger,
      });
      p = out.statements.get(statementKey('001', 0))!;
      notes = out.summary.notes;
    } finally {
      await calibration.drop();
    }
  }, 120_000);
  afterAll(async () => {
    await instance?.stop();
  });

  it('measures past the boundaries on production’s settings scaled to each sample, and fits on those points', () => {
    expect(p.model).toBe('row-updates');
    const scaledPoints = p.basis.filter((b) => b.settings);
    // the largest fraction and the whole table, each twice, alternating
    expect(scaledPoints.map((b) => b.fraction)).toEqual([0.5, 1, 0.5, 1]);
    for (const b of scaledPoints) {
      // production's 32 MB over 20 (the whole table), over 40 (half of it: 1 MB, the floor)
      expect(b.settings!.shared_buffers).toBe(b.fraction === 1 ? '1640kB' : '1MB');
      expect(Number(b.settings![PACED_CHECKPOINTS]!.replace('B', ''))).toBeGreaterThan(0);
      // each wrote more WAL than the paced distance: it ran through checkpoints as production will
      expect(b.walBytes).toBeGreaterThan(Number(b.settings![PACED_CHECKPOINTS]!.replace('B', '')));
    }
    const calibrated = p.regimes?.filter((r) => r.calibrated).map((r) => r.regime);
    expect(calibrated).toEqual(expect.arrayContaining(['shared_buffers', 'checkpoints']));
    // either trusted (on the points past the boundaries) or untrusted naming why — never a regime left unsaid
    const uncalibrated = p.regimes?.filter((r) => r.material && !r.calibrated) ?? [];
    for (const r of uncalibrated) expect(p.trust?.reasons.some((x) => x.startsWith(`regime crossed (${r.regime})`))).toBe(true);
    expect(p.notes.join('\n')).toMatch(/calibrated across shared_buffers, checkpoints/);
    expect(notes.join('\n')).toMatch(/calibrated across regimes: .*50 %: shared_buffers 1 MB, a checkpoint every .*100 %: shared_buffers 1\.6 MB/);
  });

  it('the table the predictions are for was read once before the replay, as every sample is before its own', () => {
    expect(pages).toBeGreaterThan(0);
    expect(warmed).toBeGreaterThanOrEqual(pages);
  });

  it('the WAL segments of a steady server were made before the rehearsal (min_wal_size of them recycled)', async () => {
    const rows = await sql<{ n: number }>(instance.url, 'SELECT count(*)::int AS n FROM pg_ls_waldir()');
    // 80 MB of 16 MB segments
    expect(rows[0]!.n).toBeGreaterThanOrEqual(5);
  });

  it('the server is back on its own settings after the calibration', async () => {
    const rows = await sql<{ sb: string }>(instance.url, "SELECT current_setting('shared_buffers') AS sb");
    expect(rows[0]!.sb).toBe('32MB');
  });
});
