import { maxBlocked } from './budgets/max-blocked.ts';
import { maxLockHold } from './budgets/max-lock-hold.ts';
import { maxP99Increase } from './budgets/max-p99-increase.ts';
import { maxRewriteRows } from './budgets/max-rewrite-rows.ts';
import { maxStatement } from './budgets/max-statement.ts';
import { noInvalidIndex } from './budgets/no-invalid-index.ts';
import { oldAppCompatible } from './budgets/old-app-compatible.ts';
import type { Budget, BudgetConfig } from './budgets/types.ts';
import { computeVerdict } from './verdict.ts';
import { PREDICTABLE_BUDGETS, predictedView } from './budgets/predicted.ts';
import { compareReports, DEFAULT_REGRESSION, type RegressionOptions } from './compare.ts';
import type { BudgetResult, Report } from '../model/types.ts';
import type { BudgetsOn } from '../../core/names.ts';

export type { Budget, BudgetConfig } from './budgets/types.ts';
export { computeVerdict } from './verdict.ts';

/**
 * Defaults for a production OLTP service (reasons in docs/budgets.md): a lock that blocks reads or
 * writes for more than a second, a query stuck a second behind a migration, a statement running
 * five minutes, a rewrite of a table of 100k rows, p99 doubling, the old app breaking before the
 * contract step, an invalid index left behind — each is what turns a deploy into an incident.
 */
export const DEFAULT_BUDGETS: BudgetConfig = {
  maxLockHoldMs: 1000,
  lockHoldMinRows: 0,
  maxBlockedMs: 1000,
  maxStatementMs: 300_000,
  maxRewriteRows: 100_000,
  maxP99IncreasePct: 100,
  p99IncreaseMinMs: 50,
  oldAppCompatible: true,
  contractMigration: null,
  noInvalidIndex: true,
};

/** Every budget, in the order reports list them. */
export const BUDGETS: Budget[] = [maxLockHold, maxBlocked, maxStatement, maxRewriteRows, maxP99Increase, oldAppCompatible, noInvalidIndex];

/** Evaluate the budgets that are on (`predicted`: those a prediction gives figures for, on the predicted view). */
export function evaluateBudgets(
  report: Report,
  config: BudgetConfig,
  baseline?: Report,
  on: 'measured' | 'predicted' = 'measured',
): { results: BudgetResult[] } {
  const results: BudgetResult[] = [];
  // a run that stopped before any statement ran has nothing to check: not a pass
  const nothingRan = report.run.status === 'error' && report.migrations.every((m) => m.statements.length === 0);
  if (on === 'predicted') {
    const predicted = evaluateBudgets(predictedView(report), config, baseline).results.filter((b) => PREDICTABLE_BUDGETS.has(b.name));
    return {
      results: predicted.map((b) => ({
        ...b,
        description: `${b.description}, predicted at production size`,
        on: 'predicted' as const,
        violations: b.violations.map((v) => ({ ...v, message: `predicted at production size: ${v.message}` })),
      })),
    };
  }
  for (const b of BUDGETS) {
    const limit = b.limit(config);
    if (limit === null) continue;
    const { skipped, violations } = nothingRan
      ? { skipped: 'the run stopped before any migration ran', violations: [] }
      : b.evaluate({ report, config, baseline });
    results.push({
      name: b.name,
      description: b.describe(config),
      limit,
      unit: b.unit,
      ok: violations.length === 0,
      ...(skipped ? { skipped } : {}),
      violations,
    });
  }
  return { results };
}

export interface FinalizeOptions {
  budgets: BudgetConfig;
  /** --budgets-on: measured (default), predicted or both; predicted needs report.prediction */
  budgetsOn?: BudgetsOn;
  /** the --baseline report and the path it was read from */
  baseline?: { report: Report; file: string };
  regression?: RegressionOptions;
}

/**
 * After the replay: budgets, the baseline comparison and the verdict go into the report, and the
 * exit code follows (a run that passed but failed a budget or regressed exits 1). Returns it.
 */
export function finalizeReport(report: Report, options: FinalizeOptions): number {
  const r: Report = report;
  const on = options.budgetsOn ?? 'measured';
  report.budgets = {
    results: [
      ...(on !== 'predicted' ? evaluateBudgets(r, options.budgets, options.baseline?.report).results : []),
      ...(on !== 'measured' && report.prediction ? evaluateBudgets(r, options.budgets, options.baseline?.report, 'predicted').results : []),
    ],
  };
  if (options.baseline)
    report.comparison = compareReports(options.baseline.report, r, { ...DEFAULT_REGRESSION, ...options.regression, baselineFile: options.baseline.file });
  report.verdict = computeVerdict(r);
  const exitCode = report.run.exitCode === 0 && report.verdict.status === 'fail' ? 1 : report.run.exitCode;
  report.run.exitCode = exitCode;
  return exitCode;
}
