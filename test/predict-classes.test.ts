import { beforeAll, describe, expect, it } from 'vitest';
import { runPredictions, startCalibration, statementKey, type Prediction } from '../src/analyze/predict/index.ts';
import { summarizeTables } from '../src/load/index.ts';
import { replay } from '../src/replay/index.ts';
import { reportMigrations } from '../src/report/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { listScratchDatabases } from '../src/ownership/scratch.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { migrationOf } from './helpers/migrations.ts';

// other test files calibrate on the same server meanwhile: this process's calibration clones only
const ourCalibrationDbs = async (url: string) =>
  (await listScratchDatabases(url)).filter((d) => d.owner.pid === process.pid && d.database.startsWith('rehearse_calib_')).map((d) => d.database);

const ROWS = 10_000;

/**
 * One rehearsal of every cost class on a table of 10k rows, calibrated on samples (25 % twice,
 * 50 %), predicted for 100k rows.
 */
describe('predictions on real PostgreSQL: cost classes, calibration, transactions', () => {
  let url: string;
  let predictions: Map<string, Prediction>;
  let summary: Awaited<ReturnType<typeof runPredictions>>['summary'];
  let calibrationDbsDuring: string[] = [];

  const migrations = [
    migrationOf('001', ['ALTER TABLE t ALTER COLUMN v TYPE bigint']),
    migrationOf('002', ['CREATE INDEX t_v_idx ON t (v)']),
    migrationOf('003', ['CREATE INDEX CONCURRENTLY t_filler_idx ON t (filler)']),
    migrationOf('004', ['ALTER TABLE t ADD CONSTRAINT v_nonneg CHECK (v >= 0) NOT VALID', 'ALTER TABLE t VALIDATE CONSTRAINT v_nonneg']),
    migrationOf('005', ['ALTER TABLE t ALTER COLUMN filler SET NOT NULL']),
    // the Prisma shape: add a column, backfill it, in one transaction
    migrationOf('006', ['ALTER TABLE t ADD COLUMN note text', 'UPDATE t SET note = filler']),
    migrationOf('007', ['CREATE TABLE u (id int PRIMARY KEY)', 'INSERT INTO u VALUES (1), (2)']),
  ];

  beforeAll(async () => {
    url = await freshDatabase('predict');
    await sql(
      url,
      `CREATE TABLE t (id int PRIMARY KEY, v int, filler text);
      INSERT INTO t SELECT i, (i * 7919) % 100003, md5(i::text) FROM generate_series(1, ${ROWS}) i`,
    );
    await sql(url, 'VACUUM ANALYZE t');
    const tables = await summarizeTables(url);
    const calibration = await startCalibration(url, silentLogger);
    try {
      const result = await replay({ url, migrations, log: silentLogger });
      expect(result.ok).toBe(true);
      const measured = reportMigrations(result.migrations);
      const out = await runPredictions({
        measured,
        pending: migrations,
        tables,
        stats: { tables: { 'public.t': { rows: ROWS * 10 } } },
        statsFile: 'prod-stats.json',
        calibration,
        fractions: [0.25, 0.5],
        log: silentLogger,
      });
      predictions = out.statements;
      summary = out.summary;
      calibrationDbsDuring = await ourCalibrationDbs(url);
    } finally {
      await calibration.drop();
    }
  });

  const p = (id: string, index = 0) => predictions.get(statementKey(id, index))!;

  it('classifies each statement from what the replay measured and the parse tree', () => {
    expect(p('001').model).toBe('table-rewrite');
    expect(p('001').growth).toBe('linear');
    expect(p('002').model).toBe('index-build');
    expect(p('002').growth).toBe('n log n');
    expect(p('003').model).toBe('concurrent-index-build');
    expect(p('004', 0).model).toBe('constant');
    expect(p('004', 1).model).toBe('full-scan');
    expect(p('005').model).toBe('full-scan');
    expect(p('006', 0).model).toBe('constant');
    expect(p('006', 1).model).toBe('row-updates');
    expect(p('007', 0).model).toBe('constant');
    expect(p('007', 1).model).toBe('constant');
    for (const id of ['001', '002', '003', '005']) expect(p(id).table).toBe('public.t');
  });

  it('stands each data-dependent prediction on the rehearsal and four calibration samples (the whole table the last) of the true size', () => {
    expect(summary.fractions).toEqual([0.25, 0.5, 1]);
    for (const id of ['001', '002', '003', '005']) {
      const basis = p(id).basis;
      expect(basis[0]).toMatchObject({ rows: ROWS, source: 'rehearsal', fraction: 1 });
      const samples = basis.filter((b) => b.source === 'sample');
      expect(samples.map((b) => b.fraction)).toEqual([0.25, 0.25, 0.5, 1]);
      // the sampled row counts are count(*) of a Bernoulli sample: within 4 standard deviations
      for (const s of samples) {
        const sd = Math.sqrt(ROWS * s.fraction * (1 - s.fraction));
        expect(Math.abs(s.rows - ROWS * s.fraction)).toBeLessThanOrEqual(4 * sd);
      }
      // two different samples at 25 %
      expect(samples[0]!.rows).not.toBe(samples[1]!.rows);
      expect(p(id).measuredRows).toBe(ROWS);
      expect(p(id).targetRows).toBe(ROWS * 10);
      expect(p(id).durationMs).toBeGreaterThan(0);
      expect(p(id).low).toBeLessThanOrEqual(p(id).durationMs);
      expect(p(id).high).toBeGreaterThanOrEqual(p(id).durationMs);
      expect(p(id).notes).toContain('scaled by rows alone');
    }
  });

  it('predicts statements that do not grow with the data as measured, and says so', () => {
    const c = p('007', 0);
    expect(c.basis).toEqual([]);
    expect(c.low).toBe(c.durationMs);
    expect(c.high).toBe(c.durationMs);
    expect(c.notes[0]).toMatch(/does not grow with data.*predicted as measured/);
  });

  it('a lock taken early is held, at production size, through the predicted backfill after it', () => {
    const add = p('006', 0);
    const backfill = p('006', 1);
    expect(add.lockHeldMs).toBeGreaterThanOrEqual(backfill.durationMs);
    expect(add.lockHeldMs).toBeGreaterThan(add.durationMs);
    // a statement in a transaction of its own holds its lock for about its predicted duration
    expect(p('002').lockHeldMs).toBeGreaterThanOrEqual(p('002').durationMs);
  });

  it('drops every calibration database', async () => {
    expect(calibrationDbsDuring.length).toBe(1); // the base clone, until drop()
    expect(await ourCalibrationDbs(url)).toEqual([]);
  });
});
