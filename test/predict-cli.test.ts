import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { resolvePlan } from '../src/config/index.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { readStatsFile } from '../src/stats/index.ts';
import { rejection } from './helpers/errors.ts';

const bin = path.resolve('bin/rehearse.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-predict-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const rehearse = (args: string[]) => execa('node', [bin, ...args], { reject: false, cwd: path.resolve('.') });
const write = (name: string, text: string) => {
  const file = path.join(work, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};
const migrations = path.dirname(write('migrations/001_touch_orders.sql', 'UPDATE orders SET status = status;\n'));
const dataset = (scale = 1000) => ['--database-url', inject('pgUrl'), '--fixture', 'shop', '--scale', String(scale), '--migrations', migrations];
const readReport = (out: string) => ReportSchema.parse(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')));

describe('rehearse run --predict-for: bad input', () => {
  it('a statistics file that is not JSON, or not of the shape, is a usage error before any server starts', async () => {
    const notJson = write('bad.json', '{ "tables": ');
    const res = await rehearse(['run', ...dataset(), '--predict-for', notJson, '--out', path.join(work, 'bad')]);
    expect(res.exitCode).toBe(2);
    expect(res.stdout + res.stderr).toContain(`${notJson} is not JSON`);
    expect(readReport(path.join(work, 'bad')).postgres).toBeNull();
    // the same path, in process: a negative row count, --budgets-on without --predict-for
    const negative = write('negative.json', '{ "tables": { "public.orders": { "rows": -5 } } }');
    const err = await rejection(readStatsFile(negative));
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/not a statistics file: tables\.public\.orders\.rows/);
    for (const budgetsOn of ['predicted', 'both'] as const) {
      expect(() => resolvePlan({}, { example: true, budgetsOn })).toThrow(`--budgets-on ${budgetsOn} needs --predict-for`);
    }
    expect(resolvePlan({ predictFor: 's.json' }, { example: true }).report!.budgetsOn).toBe('both');
    expect(resolvePlan({ predictFor: 's.json', budgetsOn: 'measured' }, { example: true }).report!.budgetsOn).toBe('measured');
    expect(resolvePlan({}, { example: true }).report!.budgetsOn).toBe('measured');
  });

  it('a statistics file none of whose tables the rehearsal has: exit 2, naming them, the partial report kept', async () => {
    const stats = write('elsewhere.json', JSON.stringify({ tables: { 'public.website_event': { rows: 1e9 }, 'billing.invoices': { rows: 5 } } }));
    const out = path.join(work, 'elsewhere');
    const res = await rehearse(['run', ...dataset(), '--predict-for', stats, '--out', out]);
    expect(res.exitCode).toBe(2);
    expect(res.stdout + res.stderr).toContain('none of its tables is in the rehearsal database (public.website_event, billing.invoices)');
    expect(readReport(out).run.error?.kind).toBe('usage');
  });
});

describe('rehearse run --predict-for: budgets and renderers', () => {
  it('passes on the measurements and fails on the predictions: exit 1; every format shows the prediction beside the measurement', async () => {
    const stats = write('prod-stats.json', JSON.stringify({ tables: { 'public.orders': { rows: 2_000_000_000 } } }));
    const config = write('rehearse.config.json', JSON.stringify({ predictFor: stats, predictFractions: [0.5] }));
    const out = path.join(work, 'predicted');
    // 20k rows: at 1k an UPDATE takes ~1 ms, mostly fixed cost, and under load the calibration
    // sample can take as long as the whole table (time not growing with size: predicted flat)
    const res = await rehearse(['run', ...dataset(20_000), '--config', config, '--format', 'json,md,html,junit,terminal', '--out', out]);
    expect(res.exitCode).toBe(1);
    const report = readReport(out);
    expect(report.run.status).toBe('passed');
    const results = report.budgets!.results;
    expect(results.filter((b) => !b.on).every((b) => b.ok)).toBe(true);
    const predicted = results.filter((b) => b.on === 'predicted');
    expect(predicted.map((b) => b.name).sort()).toEqual(['maxLockHold', 'maxRewriteRows', 'maxStatement']);
    const statement = predicted.find((b) => b.name === 'maxStatement')!;
    expect(statement.ok).toBe(false);
    expect(statement.violations[0]!.message).toMatch(/^predicted at production size: 001 statement 1 \(UPDATE orders/);
    const s = report.migrations[0]!.statements[0]!;
    expect(s.predicted).toMatchObject({ model: 'row-updates', table: 'public.orders', measuredRows: 20_000, targetRows: 2_000_000_000 });
    expect(s.predicted!.durationMs).toBeGreaterThan(300_000);
    expect(s.predicted!.basis.map((b) => b.fraction)).toEqual([1, 0.5, 0.5, 1]);
    expect(s.predicted!.trust?.reasons.join(' ')).toMatch(/extrapolating \d+× beyond the largest measured size/);
    expect(report.prediction).toMatchObject({ statsFile: stats, scaledBy: 'rows', fractions: [0.5, 1] });
    expect(report.verdict!.reasons.join('\n')).toMatch(/budget maxStatement: 1 violation — predicted at production size/);
    // beside the measurement, in every format
    expect(res.stdout).toMatch(/measured \S+ ms at 20k rows · predicted [\d.]+ (h|d|min) \(.+\) at 2B rows/);
    for (const f of ['report.md', 'report.html', 'junit.xml']) expect(fs.readFileSync(path.join(out, f), 'utf8')).toMatch(/predicted [\d.]+ (h|d|min)/);
  });

  it('sizes smaller than the rehearsal are predicted downward and said; tables the rehearsal lacks are said and ignored', async () => {
    const stats = write('small-stats.json', JSON.stringify({ tables: { orders: { rows: 10 }, 'public.ghost': { rows: 5 } } }));
    const out = path.join(work, 'small');
    // no calibration (predictFractions: []): the prediction stands on the rehearsal alone
    const config = write('small.config.json', JSON.stringify({ predictFractions: [] }));
    const res = await rehearse(['run', ...dataset(), '--config', config, '--predict-for', stats, '--out', out]);
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.exitCode).toBe(0);
    const report = readReport(out);
    const p = report.migrations[0]!.statements[0]!.predicted!;
    expect(p.targetRows).toBe(10);
    expect(p.notes.join('\n')).toMatch(/production is smaller than the rehearsal \(10 vs 1000 rows\): predicted downward/);
    expect(report.prediction!.notes.join('\n')).toContain('public.ghost is in the statistics file but not in the rehearsal database: ignored');
    expect(report.budgets!.results.some((b) => b.on === 'predicted')).toBe(true);
    expect(p.trust?.reasons.join(' ')).toMatch(/one measured size only/);
  });
});
