import { fileLine, fmtMs, fmtPct } from '../format/text.ts';
import type { Comparison, MetricDelta } from '../model/types.ts';

/** What `rehearse compare` prints: the regressions first, then the largest changes. */
export function renderComparison(c: Comparison, options: { color?: boolean; limit?: number } = {}): string {
  const paint = (code: number) => (s: string) => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const red = paint(31);
  const green = paint(32);
  const limit = options.limit ?? 20;
  const out: string[] = [];
  out.push(
    `compared with ${c.baseline.file} (run ${c.baseline.startedAt}): ${c.statements.length} statements matched, ${c.added.length} new, ${c.removed.length} gone`,
  );
  const fmt = (d: MetricDelta) => `${fmtMs(d.before)} → ${fmtMs(d.after)} (${fmtPct(d.deltaPct)})`;
  const reg = c.statements.filter((s) => s.regression);
  for (const s of reg.slice(0, limit)) {
    const parts = [`duration ${fmt(s.durationMs)}`, `lock held ${fmt(s.lockHeldMs)}`, ...(s.maxBlockedMs ? [`blocked ${fmt(s.maxBlockedMs)}`] : [])];
    out.push(red(`✗ ${s.migrationId} statement ${s.statementIndex + 1} ${fileLine(s.file, s.line)}: ${parts.join(', ')}`));
  }
  if (reg.length > limit) out.push(red(`  … ${reg.length - limit} more regressed statements`));
  for (const q of c.queries.filter((x) => x.p99Ms.regression)) out.push(red(`✗ ${q.app}/${q.query} p99 ${fmt(q.p99Ms)}`));
  for (const f of c.newFailures) out.push(red(`✗ new failure: ${f.file ? `${f.file}${f.line !== null ? `:${f.line}` : ''}: ` : ''}${f.message}`));
  const summary = `${c.regressions} regression${c.regressions === 1 ? '' : 's'} (a figure up more than ${c.thresholdPct} % and at least ${fmtMs(c.minDeltaMs)}, or a new failure)`;
  out.push(c.regressions ? red(summary) : green(summary));
  return out.join('\n');
}
