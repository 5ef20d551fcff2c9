import type { Report } from '../../model/types.ts';

/** Budgets whose figures a prediction gives: durations, lock holds, rows of the tables rewritten. */
export const PREDICTABLE_BUDGETS = new Set(['maxLockHold', 'maxStatement', 'maxRewriteRows']);

const key = (name: string) => {
  const bare = name.replace(/"/g, '');
  return bare.includes('.') ? bare : `public.${bare}`;
};

/**
 * The report as production would live it, for checking budgets on predicted values: each
 * statement's duration and lock hold replaced by its prediction, each table's rows by the
 * statistics file's. Statements without a prediction keep their measurements.
 */
export function predictedView(report: Report): Report {
  const target = new Map((report.prediction?.tables ?? []).map((t) => [key(t.name), t.targetRows]));
  return {
    ...report,
    dataset: report.dataset && { ...report.dataset, tables: report.dataset.tables.map((t) => ({ ...t, rows: target.get(key(t.name)) ?? t.rows })) },
    migrations: report.migrations.map((m) => ({
      ...m,
      statements: m.statements.map((s) => (s.predicted ? { ...s, durationMs: s.predicted.durationMs, lockHeldMs: s.predicted.lockHeldMs } : s)),
    })),
  };
}
