import type { BudgetResult, BudgetViolation } from '../../model/types.ts';
import type { Report } from '../../model/types.ts';

/**
 * The limits, resolved (null or false: the budget is off). Defaults and reasons: docs/budgets.md.
 * Config keys (file `budgets:`) and flags: maxLockHold (--max-lock-hold), lockHoldMinRows,
 * maxBlocked, maxStatement, maxRewriteRows, maxP99Increase, p99IncreaseMin, oldAppCompatible,
 * contractMigration, noInvalidIndex.
 */
export interface BudgetConfig {
  /** longest hold of a lock that makes application reads or writes wait (ShareLock and stronger) */
  maxLockHoldMs: number | null;
  /** … on tables that held more than this many rows before the migrations */
  lockHoldMinRows: number;
  /** longest wait of an application query on a migration statement's lock */
  maxBlockedMs: number | null;
  maxStatementMs: number | null;
  /** no table above this many rows may be rewritten */
  maxRewriteRows: number | null;
  /** p99 of an application query while a statement runs, over its baseline, in % */
  maxP99IncreasePct: number | null;
  /** … ignoring increases smaller than this */
  p99IncreaseMinMs: number;
  /** the old app passes every schema state before the contract step */
  oldAppCompatible: boolean;
  /** the contract step: the first migration meant to run once the old app is gone (null: inferred) */
  contractMigration: string | null;
  /** no invalid index (a failed concurrent build) left behind */
  noInvalidIndex: boolean;
}

export interface BudgetContext {
  report: Report;
  config: BudgetConfig;
  /** the --baseline report, when given */
  baseline?: Report | undefined;
}

export interface BudgetOutcome {
  skipped?: string;
  violations: BudgetViolation[];
}

/** One budget: one file under src/report/policy/budgets/ (registered in policy/budgets.ts), its doc in docs/budgets.md, its tests in test/budgets.test.ts. */
export interface Budget {
  name: BudgetResult['name'];
  unit: BudgetResult['unit'];
  /** the limit, or null when the budget is off */
  limit(config: BudgetConfig): number | null;
  describe(config: BudgetConfig): string;
  evaluate(ctx: BudgetContext): BudgetOutcome;
}
