import { z } from 'zod';
import { usageError } from '../core/errors.ts';
import { DEFAULT_BUDGETS, type BudgetConfig } from '../report/index.ts';
import { DEFAULT_REGRESSION, type RegressionOptions } from '../report/index.ts';
import { parseDuration } from '../core/duration.ts';
import { BUDGET_NAMES } from '../core/names.ts';

/**
 * Budgets in the config file (`budgets:`) and as flags (--max-lock-hold 2s, …; docs/budgets.md).
 * Durations take a unit (500ms, 2s, 1m); a budget is switched off with `off` or `false`.
 */
const OFF = z.union([z.literal(false), z.literal('off')]);
const duration = z
  .union([z.string(), z.number()])
  .refine((v) => parseDuration(v) !== null, { message: 'not a duration: write it with a unit (500ms, 2s, 1m)' });
const percent = z.union([z.string(), z.number()]).refine((v) => parsePercent(v) !== null, { message: 'not a percentage: write 100 or 100%' });
const count = z.coerce.number().int().nonnegative();

export const BudgetsConfigSchema = z
  .object({
    maxLockHold: z.union([OFF, duration]).optional(),
    lockHoldMinRows: count.optional(),
    maxBlocked: z.union([OFF, duration]).optional(),
    maxStatement: z.union([OFF, duration]).optional(),
    maxRewriteRows: z.union([OFF, count]).optional(),
    maxP99Increase: z.union([OFF, percent]).optional(),
    p99IncreaseMin: duration.optional(),
    oldAppCompatible: z.boolean().optional(),
    contractMigration: z.coerce.string().min(1).optional(),
    noInvalidIndex: z.boolean().optional(),
  })
  .strict();

export type BudgetsConfig = z.infer<typeof BudgetsConfigSchema>;

/** Flags (camelCase as commander gives them) that set a budget: `--max-lock-hold` → maxLockHold. */
export const BUDGET_FLAG_KEYS = [
  'maxLockHold',
  'lockHoldMinRows',
  'maxBlocked',
  'maxStatement',
  'maxRewriteRows',
  'maxP99Increase',
  'p99IncreaseMin',
  'contractMigration',
] as const;
/** Budgets --skip-budget can switch off. */
export { BUDGET_NAMES };

export function parsePercent(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(v);
  return m ? Number(m[1]) : null;
}

const off = (v: unknown) => v === false || v === 'off';

/** Apply one layer (file, then flags) of budget settings over the defaults. */
function apply(base: BudgetConfig, layer: BudgetsConfig | false | undefined): BudgetConfig {
  if (layer === undefined) return base;
  if (layer === false)
    return {
      ...base,
      maxLockHoldMs: null,
      maxBlockedMs: null,
      maxStatementMs: null,
      maxRewriteRows: null,
      maxP99IncreasePct: null,
      oldAppCompatible: false,
      noInvalidIndex: false,
    };
  const c = { ...base };
  const ms = (v: string | number) => parseDuration(v)!;
  if (layer.maxLockHold !== undefined) c.maxLockHoldMs = off(layer.maxLockHold) ? null : ms(layer.maxLockHold as string | number);
  if (layer.lockHoldMinRows !== undefined) c.lockHoldMinRows = layer.lockHoldMinRows;
  if (layer.maxBlocked !== undefined) c.maxBlockedMs = off(layer.maxBlocked) ? null : ms(layer.maxBlocked as string | number);
  if (layer.maxStatement !== undefined) c.maxStatementMs = off(layer.maxStatement) ? null : ms(layer.maxStatement as string | number);
  if (layer.maxRewriteRows !== undefined) c.maxRewriteRows = off(layer.maxRewriteRows) ? null : (layer.maxRewriteRows as number);
  if (layer.maxP99Increase !== undefined) c.maxP99IncreasePct = off(layer.maxP99Increase) ? null : parsePercent(layer.maxP99Increase as string | number);
  if (layer.p99IncreaseMin !== undefined) c.p99IncreaseMinMs = ms(layer.p99IncreaseMin);
  if (layer.oldAppCompatible !== undefined) c.oldAppCompatible = layer.oldAppCompatible;
  if (layer.contractMigration !== undefined) c.contractMigration = layer.contractMigration;
  if (layer.noInvalidIndex !== undefined) c.noInvalidIndex = layer.noInvalidIndex;
  return c;
}

/** Defaults, then the config file's `budgets`, then the flags (which win, key by key). */
export function resolveBudgets(file: BudgetsConfig | false | undefined, flags: BudgetsConfig | false | undefined): BudgetConfig {
  return apply(apply({ ...DEFAULT_BUDGETS }, file), flags);
}

/** Flag values → the `budgets` layer they stand for: --max-lock-hold 2s, --skip-budget maxStatement, --no-budgets. */
export function budgetFlags(opts: Record<string, unknown>): BudgetsConfig | false | undefined {
  if (opts.budgets === false) return false;
  const layer: Record<string, unknown> = {};
  for (const k of BUDGET_FLAG_KEYS) if (opts[k] !== undefined) layer[k] = opts[k];
  for (const name of (opts.skipBudget as string[] | undefined) ?? []) {
    if (!(BUDGET_NAMES as readonly string[]).includes(name)) throw usageError(`--skip-budget ${name}: no such budget`, `budgets: ${BUDGET_NAMES.join(', ')}`);
    layer[name] = false;
  }
  return Object.keys(layer).length ? (layer as BudgetsConfig) : undefined;
}

/** --regression-threshold 50 (or 50%) and --regression-min 25ms, over the defaults. */
export function resolveRegression(threshold: string | number | undefined, min: string | number | undefined): RegressionOptions {
  const out = { ...DEFAULT_REGRESSION };
  if (threshold !== undefined) {
    const p = parsePercent(threshold);
    if (p === null) throw usageError(`--regression-threshold ${threshold}: not a percentage`, 'write 50 or 50%');
    out.thresholdPct = p;
  }
  if (min !== undefined) {
    const ms = parseDuration(min);
    if (ms === null) throw usageError(`--regression-min ${min}: not a duration`, 'write it with a unit: 25ms, 1s');
    out.minDeltaMs = ms;
  }
  return out;
}
