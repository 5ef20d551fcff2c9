import { fmtMs, fileLine } from '../format/text.ts';
import type { Report } from '../model/types.ts';
import { suggestionFailureShort } from './suggestion-failure.ts';

type Paint = (s: string) => string;

/** The lines printed after the run's summary: budgets, the baseline comparison, the verdict. */
export function renderVerdictLines(report: Report, options: { color?: boolean } = {}): string {
  const paint =
    (code: number): Paint =>
    (s) =>
      options.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  const red = paint(31);
  const green = paint(32);
  const dim = paint(2);
  const out: string[] = [];
  const results = report.budgets?.results ?? [];
  if (results.length > 0) {
    const failed = results.filter((b) => !b.ok);
    const skipped = results.filter((b) => b.skipped);
    const passed = results.length - failed.length - skipped.length;
    out.push(`budgets: ${passed} passed, ${failed.length} failed${skipped.length ? `, ${skipped.length} not applicable` : ''}`);
    for (const b of failed) {
      out.push(red(`✗ ${b.name}: ${b.description}`));
      for (const v of b.violations.slice(0, 5)) out.push(red(`    ${v.file ? `${v.file}${v.line !== null ? `:${v.line}` : ''}: ` : ''}${v.message}`));
      if (b.violations.length > 5) out.push(red(`    … ${b.violations.length - 5} more in report.json`));
    }
    const reasons = new Map<string, string[]>();
    for (const b of skipped) reasons.set(b.skipped!, [...(reasons.get(b.skipped!) ?? []), b.name]);
    for (const [reason, names] of reasons) out.push(dim(`- not applicable: ${names.join(', ')}: ${reason}`));
  }
  const cmp = report.comparison;
  if (cmp) {
    const line = `baseline ${cmp.baseline.file}: ${cmp.regressions} regression${cmp.regressions === 1 ? '' : 's'} (over +${cmp.thresholdPct} % and ${fmtMs(cmp.minDeltaMs)})`;
    out.push(cmp.regressions ? red(line) : green(line));
    for (const s of cmp.statements.filter((x) => x.regression).slice(0, 5)) {
      out.push(
        red(
          `    ${fileLine(s.file, s.line)}: duration ${fmtMs(s.durationMs.before)} → ${fmtMs(s.durationMs.after)}, lock held ${fmtMs(s.lockHeldMs.before)} → ${fmtMs(s.lockHeldMs.after)}`,
        ),
      );
    }
    for (const f of cmp.newFailures.slice(0, 5)) out.push(red(`    new failure: ${f.message}`));
  }
  const v = report.verdict;
  const failed = suggestionFailureShort(report);
  if (v) out.push(v.status === 'pass' && !failed ? green('verdict: pass') : red(`verdict: ${v.status}${failed ? ` — ${failed}` : ''}`));
  return out.join('\n');
}
