import { describe, expect, it } from 'vitest';
import { extrapolate, fit, loadParser, predict, predictHolds, repeatNoise } from '../src/analyze/predict/index.ts';
import type { StatsFile } from '../src/stats/index.ts';
import type { BasisPoint } from '../src/analyze/predict/index.ts';

const pt = (rows: number, ms: number, fraction = rows / 1000): BasisPoint => ({ rows, ms, source: 'sample', fraction });

describe('fit (pure)', () => {
  it('recovers a linear cost with a fixed part and predicts far out', () => {
    const points = [pt(1000, 5 + 10), pt(2000, 5 + 20), pt(4000, 5 + 40)];
    const f = fit(points, 'linear', { intercept: true });
    expect(f.a).toBeCloseTo(5, 6);
    expect(f.b).toBeCloseTo(0.01, 9);
    expect(f.predict(1_000_000)).toBeCloseTo(10_005, 3);
    expect(f.relResidual).toBeCloseTo(0, 9);
  });

  it('n log n grows faster than linear between the same points', () => {
    const points = [pt(1000, 10), pt(2000, 22), pt(4000, 48)];
    const nlogn = fit(points, 'n log n').predict(400_000);
    const n = 400_000;
    // exact n·log2 n through the origin: 10 at 1000 → 10 · (n log n)/(1000 log 1000)
    expect(nlogn).toBeGreaterThan(fit(points, 'linear').predict(n) * 0.99);
    expect(fit([pt(1000, (1000 * Math.log2(1000)) / 1000), pt(4000, (4000 * Math.log2(4000)) / 1000)], 'n log n').predict(n)).toBeCloseTo(
      (n * Math.log2(n)) / 1000,
      3,
    );
  });

  it('a negative fixed part is noise: refit through the origin; a falling time is flat', () => {
    const f = fit([pt(1000, 8), pt(2000, 20), pt(3000, 30)], 'linear', { intercept: true });
    expect(f.a).toBe(0);
    expect(f.b).toBeGreaterThan(0);
    const flat = fit([pt(1000, 12), pt(2000, 10), pt(4000, 9)], 'linear', { intercept: true });
    expect(flat.flat).toBe(true);
    expect(flat.predict(1e9)).toBeCloseTo((12 + 10 + 9) / 3, 6);
  });

  it('one size only, and by default: proportional through the origin', () => {
    expect(fit([pt(1000, 50)], 'linear', { intercept: true }).predict(10_000)).toBeCloseTo(500, 6);
    // Σxy/Σx² over 1000→10, 2000→22, 4000→38
    const f = fit([pt(1000, 10), pt(2000, 22), pt(4000, 38)], 'linear');
    expect(f.a).toBe(0);
    expect(f.b).toBeCloseTo((10_000 + 44_000 + 152_000) / (1e6 + 4e6 + 16e6), 12);
  });

  it('a statement that is mostly a fixed cost keeps its fixed part instead of scaling it', () => {
    const points = [pt(1000, 10), pt(2000, 10.5), pt(4000, 11)];
    const e = extrapolate(points, 'linear', 1_000_000);
    expect(e.fit.a).toBeGreaterThan(9);
    expect(e.center).toBeCloseTo(e.fit.a + e.fit.b * 1_000_000, 6);
    expect(e.center).toBeLessThan(((11 / 4000) * 1_000_000) / 5);
    // a cost that grows with the rows is fitted through the origin
    const grows = extrapolate([pt(1000, 100), pt(2000, 190), pt(4000, 410)], 'linear', 40_000);
    expect(grows.fit.a).toBe(0);
    expect(grows.center).toBeCloseTo(4000 * ((100_000 + 380_000 + 1_640_000) / (1e6 + 4e6 + 16e6)) * 10, 6);
  });

  it('repeat noise from points at the same fraction; the interval widens with it and holds the centre', () => {
    const points = [pt(1000, 100, 0.25), pt(1010, 120, 0.25), pt(2000, 200, 0.5), pt(4000, 400, 1)];
    const noise = repeatNoise(points)!;
    expect(noise).toBeCloseTo(Math.sqrt(((100 - 110) ** 2 + (120 - 110) ** 2) / 1) / 110, 6);
    const e = extrapolate(points, 'linear', 40_000);
    expect(e.factor).toBeCloseTo(10, 6);
    expect(e.low).toBeLessThan(e.center);
    expect(e.high).toBeGreaterThan(e.center);
    expect(e.high / e.center).toBeGreaterThanOrEqual(1 + 2 * noise - 1e-9);
  });
});

describe('lock holds follow the transaction (pure)', () => {
  it('a lock taken early is held for the predicted duration of everything after it', () => {
    // ADD COLUMN (12 ms) then a backfill (1 s) then commit (8 ms): measured holds 1020 ms and 1008 ms
    const unit = [
      { durationMs: 12, lockHeldMs: 1020, predictedMs: 12 },
      { durationMs: 1000, lockHeldMs: 1008, predictedMs: 3_600_000 },
    ];
    const [add, backfill] = predictHolds(unit);
    expect(backfill).toBeCloseTo(3_600_008, 6);
    expect(add).toBeCloseTo(12 + 3_600_000 + 8, 6);
  });

  it('a statement that took no lock holds none; a later statement does not lengthen an earlier transaction', () => {
    expect(
      predictHolds([
        { durationMs: 5, lockHeldMs: 0, predictedMs: 5 },
        { durationMs: 10, lockHeldMs: 10, predictedMs: 100 },
      ]),
    ).toEqual([0, 100]);
    expect(predictHolds([{ durationMs: 10, lockHeldMs: 10, predictedMs: 100 }])).toEqual([100]);
  });
});

describe('predict (pure, parser loaded)', () => {
  const measured = (sql: string, durationMs: number, lockHeldMs = durationMs) => ({
    id: '001',
    statements: [{ index: 0, sql, durationMs, lockHeldMs, rewrites: [] }],
  });
  const calibration = (ms: number) => [
    { fraction: 0.5, rows: new Map([['public.t', 500]]), migrations: [{ id: '001', statements: [{ index: 0, durationMs: ms }] }] },
  ];
  const run = async (sql: string, stats: StatsFile, rehearsal = new Map([['public.t', { rows: 1000, bytes: 1_000_000 }]]), sampleMs = 50) => {
    await loadParser();
    return predict({ migrations: [measured(sql, 100)], unitOf: () => 0, rehearsal, calibration: calibration(sampleMs), stats, statsFile: 's.json' });
  };

  it('a data-dependent statement whose time did not grow with size is predicted flat and untrusted', async () => {
    // the half-size sample took longer than the whole table: noise, or sizes too small to see the rows' cost
    const p = (await run('UPDATE t SET a = a', { tables: { t: { rows: 1_000_000 } } }, undefined, 120)).statements.get('001#0')!;
    expect(p.model).toBe('row-updates');
    expect(p.durationMs).toBeCloseTo(110, 6);
    expect(p.trust?.reasons).toContain('the linear part was not seen: the time did not grow with size in the calibration');
  });

  it('scales rows alone with a hand-written file, and rows × row width when the file gives bytes', async () => {
    const rowsOnly = (await run('ALTER TABLE t VALIDATE CONSTRAINT c', { tables: { t: { rows: 10_000 } } })).statements.get('001#0')!;
    expect(rowsOnly.durationMs).toBeCloseTo(1000, 6);
    expect(rowsOnly.notes).toContain('scaled by rows alone');
    // production rows twice as wide (20 MB for 10k rows against 1 MB for 1k)
    const wide = await run('ALTER TABLE t VALIDATE CONSTRAINT c', { tables: { t: { rows: 10_000, totalBytes: 20_000_000 } } });
    expect(wide.statements.get('001#0')!.durationMs).toBeCloseTo(2000, 6);
    expect(wide.summary.scaledBy).toBe('rows and row width');
    // an index build sorts keys: rows alone, n log n
    const index = (await run('CREATE INDEX i ON t (a)', { tables: { t: { rows: 10_000, totalBytes: 20_000_000 } } })).statements.get('001#0')!;
    expect(index.growth).toBe('n log n');
    expect(index.durationMs).toBeGreaterThan(1000);
    expect(index.durationMs).toBeLessThan(2000);
  });

  it('a table the statistics do not size is predicted as measured and untrusted; a table the migrations create is constant', async () => {
    const missing = (await run('ALTER TABLE t VALIDATE CONSTRAINT c', { tables: { other: { rows: 5 } } })).statements.get('001#0')!;
    expect(missing.durationMs).toBe(100);
    expect(missing.trust?.reasons).toEqual(['no production size for public.t']);
    const created = (await run('CREATE INDEX i ON fresh (a)', { tables: { t: { rows: 5 } } })).statements.get('001#0')!;
    expect(created.model).toBe('constant');
    expect(created.notes[0]).toMatch(/public\.fresh is created by the migrations/);
  });
});
