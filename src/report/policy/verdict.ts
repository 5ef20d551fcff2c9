import type { Verdict } from '../model/types.ts';
import { allStatements } from './queries.ts';
import { fileLine } from '../format/text.ts';
import type { Report } from '../model/types.ts';

/**
 * pass, fail or error, with one line per reason: a failed migration, a rollback that did not
 * restore, each failed budget, regressions over the baseline; error when the run could not finish.
 */
export function computeVerdict(report: Report): Verdict {
  const reasons: string[] = [];
  if (report.run.status === 'error' && report.run.error) reasons.push(`the run could not finish: ${report.run.error.message}`);
  const failed = allStatements(report).find(({ s }) => s.error);
  if (failed?.s.error) {
    const e = failed.s.error;
    reasons.push(`migration ${failed.m.id} ${failed.m.name} failed at ${fileLine(e.file, e.line)}: ${e.sqlstate} ${e.message}`);
  } else if (report.migrations.some((m) => m.status === 'failed')) {
    reasons.push(`migration ${report.migrations.find((m) => m.status === 'failed')!.id} failed`);
  }
  if (report.rollback && !report.rollback.restored) reasons.push('rollback: the down migrations did not restore the starting schema');
  for (const b of report.budgets?.results ?? []) {
    if (b.ok) continue;
    const n = b.violations.length;
    reasons.push(`budget ${b.name}: ${n} violation${n === 1 ? '' : 's'}${b.violations[0] ? ` — ${b.violations[0].message}` : ''}`);
  }
  const cmp = report.comparison;
  if (cmp && cmp.regressions > 0) reasons.push(`${cmp.regressions} regression${cmp.regressions === 1 ? '' : 's'} against the baseline ${cmp.baseline.file}`);

  const status: Verdict['status'] =
    report.run.status === 'error'
      ? 'error'
      : report.run.status === 'failed' || reasons.length > 0 || (report.budgets?.results.some((b) => !b.ok) ?? false)
        ? 'fail'
        : 'pass';
  return { status, reasons };
}
