import { describe, expect, it } from 'vitest';
import { BUDGETS, DEFAULT_BUDGETS, evaluateBudgets, finalizeReport, type BudgetConfig } from '../src/report/policy/budgets.ts';
import { resolveBudgets } from '../src/config/budgets.ts';
import { resolvePlan, validate } from '../src/config/index.ts';
import type { Report } from '../src/report/model/types.ts';
import { exampleReport, statementOf, trafficReport } from './fixtures-reports/reports.ts';

const ALL_OFF: BudgetConfig = {
  ...DEFAULT_BUDGETS,
  maxLockHoldMs: null,
  maxBlockedMs: null,
  maxStatementMs: null,
  maxRewriteRows: null,
  maxP99IncreasePct: null,
  oldAppCompatible: false,
  noInvalidIndex: false,
};

/** Only one budget on (the others off), evaluated on a clean copy of the report; the exit code the run would return. */
function check(report: Report, config: Partial<BudgetConfig>, baseline?: Report) {
  const r = structuredClone(report);
  delete r.budgets;
  delete r.verdict;
  r.run.exitCode = 0;
  r.run.status = 'passed';
  const exitCode = finalizeReport(r, { budgets: { ...ALL_OFF, ...config }, ...(baseline ? { baseline: { report: baseline, file: 'last-night.json' } } : {}) });
  expect(r.budgets!.results).toHaveLength(1);
  return { exitCode, result: r.budgets!.results[0]!, report: r };
}

describe('every budget passes and fails, with its exit code', () => {
  it('maxLockHold: a lock that blocks reads or writes, held too long on a table above N rows', () => {
    // 003: ALTER TYPE holds AccessExclusiveLock on order_items (124,787 rows) for ~300 ms
    const held = statementOf(exampleReport(), '003').lockHeldMs;
    expect(held).toBeGreaterThan(100);
    const pass = check(exampleReport(), { maxLockHoldMs: 5000 });
    expect(pass.result).toMatchObject({ name: 'maxLockHold', ok: true, violations: [] });
    expect(pass.exitCode).toBe(0);
    expect(pass.report.verdict).toEqual({ status: 'pass', reasons: [] });

    const fail = check(exampleReport(), { maxLockHoldMs: 100 });
    expect(fail.exitCode).toBe(1);
    expect(fail.report.run.exitCode).toBe(1);
    expect(fail.report.verdict!.status).toBe('fail');
    const v = fail.result.violations.find((x) => x.migrationId === '003')!;
    expect(v).toMatchObject({
      migrationId: '003',
      statementIndex: 0,
      file: 'fixtures/shop/migrations/003_order_items_quantity_bigint.up.sql',
      line: 3,
      value: held,
    });
    expect(v.message).toMatch(/held AccessExclusive on order_items \(124,787 rows\) for \d+ ms, over 100 ms: it blocks everything, reads included/);
    // the backfill (009) holds only RowExclusiveLock: reads and writes go on, not a violation
    expect(fail.result.violations.map((x) => x.migrationId)).not.toContain('009');
    // tables at or under lockHoldMinRows are left out
    expect(check(exampleReport(), { maxLockHoldMs: 100, lockHoldMinRows: 200_000 }).exitCode).toBe(0);
  });

  it('maxBlocked: an app query waiting on a migration statement', () => {
    const pass = check(trafficReport(), { maxBlockedMs: 2000 });
    expect(pass).toMatchObject({ exitCode: 0, result: { ok: true, violations: [] } });
    const fail = check(trafficReport(), { maxBlockedMs: 1000 });
    expect(fail.exitCode).toBe(1);
    expect(fail.result.violations).toEqual([
      expect.objectContaining({
        migrationId: '009',
        statementIndex: 0,
        file: 'fixtures/shop/migrations/009_backfill_orders_total_cents.up.sql',
        line: 3,
        value: 1500,
      }),
    ]);
    expect(fail.result.violations[0]!.message).toMatch(/made old\/update_order wait 1500 ms, over 1000 ms/);
    // 250 ms: 003 (290 ms) too; the migration's own wait (008, blocked by an app) is not an app query's
    expect(check(trafficReport(), { maxBlockedMs: 250 }).result.violations.map((x) => x.migrationId)).toEqual(['003', '009']);
    // without traffic it cannot be evaluated: not applicable, not failed
    const none = check(exampleReport(), { maxBlockedMs: 1 });
    expect(none).toMatchObject({ exitCode: 0, result: { ok: true, skipped: expect.stringMatching(/no application traffic/) } });
  });

  it('maxStatement: no statement longer than the limit', () => {
    const longest = exampleReport().summary.longestStatement!;
    expect(check(exampleReport(), { maxStatementMs: longest.ms + 1 })).toMatchObject({ exitCode: 0, result: { ok: true } });
    const fail = check(exampleReport(), { maxStatementMs: longest.ms - 1 });
    expect(fail.exitCode).toBe(1);
    expect(fail.result.violations).toEqual([
      expect.objectContaining({
        migrationId: longest.migrationId,
        statementIndex: longest.statementIndex,
        file: longest.file,
        line: longest.line,
        value: longest.ms,
      }),
    ]);
  });

  it('maxRewriteRows: no rewrite of a table above N rows (indexes rewritten with it are not counted)', () => {
    expect(check(exampleReport(), { maxRewriteRows: 200_000 })).toMatchObject({ exitCode: 0, result: { ok: true } });
    const fail = check(exampleReport(), { maxRewriteRows: 100_000 });
    expect(fail.exitCode).toBe(1);
    expect(fail.result.violations).toEqual([expect.objectContaining({ migrationId: '003', statementIndex: 0, line: 3, value: 124_787 })]);
    expect(fail.result.violations[0]!.message).toMatch(/rewrote order_items \(124,787 rows\), over 100,000 rows, under AccessExclusive/);
  });

  it('maxP99Increase: p99 while a statement runs against the baseline phase', () => {
    const pass = check(trafficReport(), { maxP99IncreasePct: 50_000 });
    expect(pass).toMatchObject({ exitCode: 0, result: { ok: true } });
    const fail = check(trafficReport(), { maxP99IncreasePct: 100 });
    expect(fail.exitCode).toBe(1);
    expect(fail.result.violations.map((v) => [v.migrationId, v.statementIndex, Math.round(v.value)])).toEqual([
      ['003', 0, 12300],
      ['009', 0, 37650],
    ]);
    expect(fail.result.violations[0]!.message).toMatch(/old\/get_order p99 310 ms while 003 statement 1 ran, 3 ms in its baseline phase/);
    // increases under p99IncreaseMin are noise
    expect(check(trafficReport(), { maxP99IncreasePct: 100, p99IncreaseMinMs: 2000 }).exitCode).toBe(0);
  });

  it('maxP99Increase: without phases, the whole run against the --baseline report', () => {
    const noPhases = (r: Report, p99: number) => {
      for (const a of r.workload!.apps) for (const q of a.queries) Object.assign(q, { phases: undefined, p99Ms: p99 });
      return r;
    };
    const baseline = noPhases(trafficReport(), 10);
    expect(check(noPhases(trafficReport(), 15), { maxP99IncreasePct: 100 }, baseline)).toMatchObject({ exitCode: 0, result: { ok: true } });
    const fail = check(noPhases(trafficReport(), 400), { maxP99IncreasePct: 100 }, baseline);
    expect(fail.exitCode).toBe(1);
    expect(fail.result.violations[0]).toMatchObject({ migrationId: null, statementIndex: null, value: 3900 });
    // no reference at all: not applicable
    expect(check(noPhases(trafficReport(), 400), { maxP99IncreasePct: 100 }).result.skipped).toMatch(/no latency baseline/);
  });

  it('oldAppCompatible: the old app passes every state before the contract step', () => {
    // expand/contract: the old app survives 001–011, the new one works from 009 on
    expect(check(trafficReport(), { oldAppCompatible: true })).toMatchObject({ exitCode: 0, result: { ok: true } });
    expect(check(trafficReport(), { oldAppCompatible: true, contractMigration: '012' })).toMatchObject({ exitCode: 0, result: { ok: true } });

    // a naive rename in 003: the old app fails from 003 on, the new app works from there
    const naive = trafficReport();
    const c = naive.compatibility!;
    for (const cell of c.cells) {
      const broken = cell.state >= '003' && cell.state !== 'initial';
      if (cell.app === 'old')
        Object.assign(
          cell,
          broken ? { ok: false, failures: [{ query: 'get_order', sqlstate: '42703', message: 'column "total" does not exist' }] } : { ok: true, failures: [] },
        );
      else
        Object.assign(
          cell,
          broken
            ? { ok: true, failures: [] }
            : { ok: false, failures: [{ query: 'get_order_v2', sqlstate: '42703', message: 'column "total_cents" does not exist' }] },
        );
    }
    Object.assign(c, { oldAppLastState: '002', newAppFirstState: '003' });
    const fail = check(naive, { oldAppCompatible: true });
    expect(fail.exitCode).toBe(1);
    expect(fail.result.violations).toEqual([
      expect.objectContaining({ migrationId: '003', statementIndex: null, file: 'fixtures/shop/migrations/003_order_items_quantity_bigint.up.sql', value: 1 }),
    ]);
    expect(fail.result.violations[0]!.message).toMatch(
      /the old app \(old\) fails after migration 003 order_items_quantity_bigint: get_order 42703 column "total" does not exist; it must pass until the new app \(new\) works, at 003/,
    );
    // declared contract step 012: the old app must survive 001–011, and it does not
    const declared = check(naive, { oldAppCompatible: true, contractMigration: '012' });
    expect(declared.exitCode).toBe(1);
    expect(declared.result.violations[0]!.message).toMatch(/must pass before the contract migration 012 \(fails through 011\)/);
    // without probes: not applicable
    expect(check(exampleReport(), { oldAppCompatible: true }).result.skipped).toMatch(/no application traffic/);
  });

  it('noInvalidIndex: no invalid index left, naming the statement that built it', () => {
    expect(check(exampleReport(), { noInvalidIndex: true })).toMatchObject({ exitCode: 0, result: { ok: true } });
    const r = exampleReport();
    r.schemaHazards.push({
      kind: 'invalid_index',
      object: 'index:public.orders_status_idx',
      message: 'index public.orders_status_idx is INVALID (a failed CREATE INDEX CONCURRENTLY): drop it and build it again',
    });
    const fail = check(r, { noInvalidIndex: true });
    expect(fail.exitCode).toBe(1);
    expect(fail.result.violations).toEqual([
      expect.objectContaining({
        migrationId: '005',
        statementIndex: 0,
        file: 'fixtures/shop/migrations/005_index_orders_status_concurrently.up.sql',
        line: 3,
        value: 1,
      }),
    ]);
  });

  it('covers every budget', () => {
    expect(BUDGETS.map((b) => b.name)).toEqual([
      'maxLockHold',
      'maxBlocked',
      'maxStatement',
      'maxRewriteRows',
      'maxP99Increase',
      'oldAppCompatible',
      'noInvalidIndex',
    ]);
  });
});

describe('verdict and exit code', () => {
  it('with the defaults: the example fails maxRewriteRows only; traffic adds maxBlocked and maxP99Increase', () => {
    const ex = evaluateBudgets(exampleReport(), DEFAULT_BUDGETS).results;
    expect(ex.filter((b) => !b.ok).map((b) => b.name)).toEqual(['maxRewriteRows']);
    expect(ex.filter((b) => b.skipped).map((b) => b.name)).toEqual(['maxBlocked', 'maxP99Increase', 'oldAppCompatible']);
    const tr = evaluateBudgets(trafficReport(), DEFAULT_BUDGETS).results;
    expect(tr.filter((b) => !b.ok).map((b) => b.name)).toEqual(['maxBlocked', 'maxRewriteRows', 'maxP99Increase']);
  });

  it('a failed migration stays 1, an error stays its code, and says so', () => {
    const failed = exampleReport();
    Object.assign(failed.run, { status: 'failed', exitCode: 1 });
    expect(finalizeReport(failed, { budgets: ALL_OFF })).toBe(1);
    expect(failed.verdict!.status).toBe('fail');
    const error = exampleReport();
    Object.assign(error.run, { status: 'error', exitCode: 3, error: { kind: 'infrastructure', message: 'the server could not start' } });
    expect(finalizeReport(error, { budgets: DEFAULT_BUDGETS })).toBe(3);
    expect(error.verdict).toEqual({
      status: 'error',
      reasons: ['the run could not finish: the server could not start', expect.stringMatching(/^budget maxRewriteRows/)],
    });
    // stopped before any statement: nothing to check, not a pass
    const early = exampleReport();
    early.migrations = [];
    Object.assign(early.run, { status: 'error', exitCode: 2, error: { kind: 'usage', message: 'x.dump: not a PostgreSQL dump' } });
    expect(finalizeReport(early, { budgets: DEFAULT_BUDGETS })).toBe(2);
    expect(early.budgets!.results.every((b) => b.ok && b.skipped === 'the run stopped before any migration ran')).toBe(true);
  });
});

describe('budget settings: defaults, config file, flags', () => {
  it('flags override the file key by key; off and false switch a budget off', () => {
    const file = validate(
      { migrations: 'db', budgets: { maxLockHold: '2s', maxStatement: '10m', maxRewriteRows: 'off', contractMigration: 12 } },
      'rehearse.config.yaml',
    );
    const flags = validate({ budgets: { maxLockHold: '500ms', maxBlocked: false } }, 'flags');
    const b = resolvePlan(file, flags).report!.budgets;
    expect(b).toEqual({ ...DEFAULT_BUDGETS, maxLockHoldMs: 500, maxStatementMs: 600_000, maxRewriteRows: null, maxBlockedMs: null, contractMigration: '12' });
    expect(resolveBudgets(false, undefined)).toEqual(ALL_OFF);
    expect(resolveBudgets(undefined, undefined)).toEqual(DEFAULT_BUDGETS);
  });

  it('a bad value or an unknown budget is a usage error naming it', () => {
    expect(() => validate({ budgets: { maxLockHold: '2 parsecs' } }, 'rehearse.config.json')).toThrow(
      /rehearse\.config\.json: budgets\.maxLockHold: not a duration/,
    );
    expect(() => validate({ budgets: { maxLockHold: 2 } }, 'rehearse.config.json')).toThrow(/not a duration: write it with a unit/);
    expect(() => validate({ budgets: { maxLockHould: '2s' } }, 'rehearse.config.json')).toThrow(/rehearse\.config\.json: budgets: .*maxLockHould/);
    expect(() => validate({ budgets: { maxP99Increase: 'double' } }, 'x')).toThrow(/not a percentage/);
  });
});
