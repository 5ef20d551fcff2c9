import type { Finding } from '../policy/findings/types.ts';
import type { Report } from '../model/types.ts';
import { baseLine, clean, fileLine, fmtMs } from '../format/text.ts';

/**
 * Findings and the --suggest before/after table as each format shows them: the pieces the
 * renderers put in place. Pure functions of the report.
 */

export const findingsOf = (report: Report): Finding[] => report.findings ?? [];

const ICON = { error: '❌', warning: '⚠️', info: 'ℹ️' } as const;
const where = (f: Finding) => (f.file ? baseLine(f.file, f.line) : `migration ${f.migrationId}`);

/** Terminal: one line per finding, then the advice (indented); the SQL is in report.json and the other formats. */
export function findingsTerminalLines(report: Report, paint: { red: (s: string) => string; yellow: (s: string) => string }, width: number): string[] {
  const list = findingsOf(report);
  if (!list.length) return [];
  const cut = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s);
  const out = [`findings: ${list.length} (${count(list, 'error')} error, ${count(list, 'warning')} warning, ${count(list, 'info')} info)`];
  for (const f of list) {
    const head = `${f.severity === 'error' ? '✗' : f.severity === 'warning' ? '!' : 'i'} ${f.rule} ${where(f)}: ${clean(f.title)}`;
    out.push((f.severity === 'error' ? paint.red : f.severity === 'warning' ? paint.yellow : (s: string) => s)(cut(head, width)));
    out.push(`    ${cut(clean(f.advice), Math.max(40, width - 4))}${f.mechanical ? ' [--suggest rewrites it]' : ''}`);
  }
  return out;
}

const count = (list: Finding[], s: Finding['severity']) => list.filter((f) => f.severity === s).length;

/** Markdown: a list item per finding with its advice and, collapsed, the suggested SQL. */
export function findingsMarkdownRows(report: Report, tx: (s: string) => string, code: (s: string) => string): string[] {
  return findingsOf(report).map((f) => {
    const sql = f.suggestedSql
      ? `\n  <details><summary>suggested SQL${f.mechanical ? ' (rehearsed by --suggest)' : ''}</summary>\n\n  \`\`\`sql\n${indent(clean(f.suggestedSql).replace(/```/g, "'''"), '  ')}\n  \`\`\`\n  </details>`
      : '';
    return `- ${ICON[f.severity]} ${code(f.rule)} ${code(where(f))} ${tx(f.title)}\n  ${tx(f.advice)}${sql}\n`;
  });
}

const indent = (s: string, pad: string) =>
  s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');

/** HTML: a table row per finding, the SQL in a <pre>. */
export function findingsHtml(report: Report, esc: (s: string) => string): string {
  const list = findingsOf(report);
  if (!list.length) return '';
  const rows = list
    .map(
      (f) =>
        `<tr><td>${esc(f.severity)}</td><td><code>${esc(f.rule)}</code></td><td><code>${esc(where(f))}</code></td><td>${esc(clean(f.title))}<br>${esc(clean(f.advice))}${f.suggestedSql ? `<pre>${esc(clean(f.suggestedSql))}</pre>` : ''}</td></tr>`,
    )
    .join('');
  return `<section id="findings"><h2>Findings</h2><p>Each problem the rehearsal measured, with the safe pattern and the suggested SQL (docs/findings.md).</p><table><thead><tr><th>severity</th><th>rule</th><th>where</th><th>what was measured · what to do</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** JUnit: a test case per finding; the advice and SQL as its output (budgets decide what fails). */
export function findingsJunitCases(report: Report): { name: string; file?: string; ms: number; out: string }[] {
  return findingsOf(report).map((f) => ({
    name: `${f.rule} ${f.migrationId}${f.statementIndex !== null ? `#${f.statementIndex + 1}` : ''}`,
    ...(f.file ? { file: f.file } : {}),
    ms: 0,
    out: [
      `${f.severity}: ${f.file ? `${fileLine(f.file, f.line)}: ` : ''}${clean(f.title)}`,
      clean(f.advice),
      ...(f.suggestedSql ? ['', clean(f.suggestedSql)] : []),
    ].join('\n'),
  }));
}

// ─── --suggest: before vs after ───────────────────────────────────────────────────────────────

export interface BeforeAfterRow {
  label: string;
  before: string;
  after: string;
}

/** The before/after rows of report.suggestion (empty without one). */
export function suggestionRows(report: Report): BeforeAfterRow[] {
  const s = report.suggestion;
  if (!s) return [];
  const v = (x: number | null) => (x === null ? '—' : fmtMs(x));
  return [
    { label: 'longest blocking lock hold', before: v(s.before.blockingLockHoldMs), after: v(s.after.blockingLockHoldMs) },
    { label: 'longest app wait', before: v(s.before.appWaitMs), after: v(s.after.appWaitMs) },
    { label: 'app p99 during the migrations', before: v(s.before.p99Ms), after: v(s.after.p99Ms) },
    { label: 'total duration', before: v(s.before.durationMs), after: v(s.after.durationMs) },
  ];
}
