/**
 * The closed sets of names several stages share, each an `as const` array: the TypeScript type is
 * derived from it and the zod schemas use it as their enum (z.enum(PROVIDERS), ...), so a name is
 * added in one place.
 */

/** PostgreSQL's table-level lock modes, weakest first (the table in "Explicit Locking" of the docs). */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** Where the disposable PostgreSQL comes from. */
export const PROVIDERS = ['embedded', 'url', 'container'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** The formats a report renders to; json is always written, terminal is the printed summary. */
export const OUTPUT_FORMATS = ['json', 'md', 'html', 'junit', 'sarif', 'codequality', 'terminal'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The budgets, by their config key, in the order reports list them (docs/budgets.md). */
export const BUDGET_NAMES = ['maxLockHold', 'maxBlocked', 'maxStatement', 'maxRewriteRows', 'maxP99Increase', 'oldAppCompatible', 'noInvalidIndex'] as const;
export type BudgetName = (typeof BUDGET_NAMES)[number];

/** Where budgets are checked (--budgets-on): the measured figures, the predicted ones (docs/predictions.md), or both. */
export const BUDGETS_ON = ['measured', 'predicted', 'both'] as const;
export type BudgetsOn = (typeof BUDGETS_ON)[number];

/** The PostgreSQL major of the container provider's default image (postgres:<major>). */
export const DEFAULT_CONTAINER_MAJOR = 17;
