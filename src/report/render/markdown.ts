import { predictedText } from './prediction.ts';
import type { MetricDelta } from '../model/types.ts';
import { allStatements, compatRows, hasTraffic, longestBlocking, longestBlockingOf, rolloutText, verdictOf, worstLockHold } from '../policy/queries.ts';
import { baseLine, clean, diffCounts, diffLines, fmtBytes, fmtInt, fmtMs, fmtPct, lockName, oneLine } from '../format/text.ts';
import { headline } from './common.ts';
import { FILE_NAMES } from '../model/files.ts';
import type { Report } from '../model/types.ts';
import { LONG_HISTORY, historyMarkdown, summariseHistory } from './history.ts';
import { groupBlocking } from '../format/blocking-groups.ts';
import { findingsMarkdownRows, suggestionRows } from './findings.ts';

/** A pull-request comment holds at most 65,536 characters. */
export const MARKDOWN_LIMIT = 65_536;

export interface MarkdownOptions {
  /** the most characters the document may have (default: a GitHub comment's limit) */
  maxChars?: number;
}

/**
 * The review summary: verdict first, then per migration the worst lock hold and the longest
 * blocking, the budgets, the compatibility matrix and suggested rollout, the schema changes; the
 * details (every statement, every wait, latencies, the full diff) in collapsed sections. When it
 * would not fit `maxChars`, rows of the tables are left out, the details first, and a note says
 * what was cut and where the full report is. A pure function of the report.
 */
export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const max = options.maxChars ?? MARKDOWN_LIMIT;
  const parts = documentParts(report);
  return assemble(parts, max, (left) => truncationNote(report, left, max));
}

// ─── assembling with a size limit ─────────────────────────────────────────────────────────────

/**
 * A table or list whose rows can be left out; `more(n)` is the line saying n were. Tier 1 (what a
 * reviewer needs first) gets the room before tier 2 (the collapsed details); within a tier the
 * room is shared fairly, so one long table cannot starve the others.
 */
interface Rows {
  tier?: 1 | 2;
  label: string;
  head: string;
  rows: string[];
  more: (n: number) => string;
  tail: string;
}
const NOTE = Symbol('note');
type Part = string | Rows | typeof NOTE;

function assemble(parts: Part[], max: number, note: (left: { label: string; n: number; of: number }[]) => string): string {
  const whole = (p: Part) => (p === NOTE ? '' : typeof p === 'string' ? p : p.head + p.rows.join('') + p.tail);
  const full = parts.map(whole).join('');
  if (full.length <= max) return full;

  const blocks = parts.filter((p): p is Rows => typeof p === 'object');
  // the fixed text, every "n more" line and the longest possible note are reserved first
  const worstNote = note(blocks.map((b) => ({ label: b.label, n: b.rows.length, of: b.rows.length })));
  let room =
    max -
    worstNote.length -
    parts.reduce((t, p) => t + (p === NOTE ? 0 : typeof p === 'string' ? p.length : p.head.length + p.tail.length + p.more(p.rows.length).length), 0);
  const kept = new Map<Rows, number>();
  for (const tier of [1, 2]) {
    // water-filling: the smallest demands are met in full, the rest share what remains equally
    const group = blocks.filter((b) => (b.tier ?? 2) === tier).sort((a, b) => size(a) - size(b));
    group.forEach((b, i) => {
      const share = Math.floor(room / (group.length - i));
      let used = 0;
      let n = 0;
      for (const row of b.rows) {
        if (used + row.length > share) break;
        used += row.length;
        n++;
      }
      kept.set(b, n);
      room -= used;
    });
  }
  const left = blocks.filter((b) => kept.get(b)! < b.rows.length).map((b) => ({ label: b.label, n: b.rows.length - kept.get(b)!, of: b.rows.length }));
  const out = parts
    .map((p) => {
      if (p === NOTE) return note(left);
      if (typeof p === 'string') return p;
      const n = kept.get(p)!;
      return p.head + p.rows.slice(0, n).join('') + (n < p.rows.length ? p.more(p.rows.length - n) : '') + p.tail;
    })
    .join('');
  return out.length <= max ? out : out.slice(0, max);
}

const size = (b: Rows) => b.rows.reduce((t, r) => t + r.length, 0);

function fullReportWhere(report: Report): string {
  const o = report.output;
  if (o?.reportUrl) return `<${o.reportUrl}>`;
  if (o) {
    const dir = o.dir.replace(/\/+$/, '');
    const html = o.formats.includes('html') ? ` (\`${dir}/${FILE_NAMES.html}\` has the timeline)` : '';
    return `\`${dir}/${FILE_NAMES.json}\`${html}`;
  }
  return `\`${FILE_NAMES.json}\`, the file this summary was rendered from (\`rehearse report ${FILE_NAMES.json} --format html\` gives the timeline)`;
}

function truncationNote(report: Report, left: { label: string; n: number; of: number }[], max: number): string {
  if (left.length === 0) return '';
  const what = left.map((l) => `${fmtInt(l.n)} of ${fmtInt(l.of)} ${l.label}`).join(', ');
  return `> ✂️ **Truncated** to fit ${fmtInt(max)} characters (a pull-request comment): left out ${what}. The full report is ${fullReportWhere(report)}.\n\n`;
}

// ─── text helpers ─────────────────────────────────────────────────────────────────────────────

/** Text in a table cell: no newlines, pipes escaped, no raw HTML. */
const tx = (s: string) =>
  clean(s)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
/** Code in a table cell or a line. */
const code = (s: string) => {
  const t = clean(s)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|');
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
};
const statusIcon = (status: string) => (status === 'applied' ? '✅ applied' : status === 'failed' ? '❌ failed' : '⏭️ skipped');
const VERDICT_ICON = { pass: '✅', fail: '❌', error: '⚠️' } as const;

function details(summary: string, label: string, head: string, rows: string[], more: (n: number) => string, tail = ''): Part[] {
  return [`<details><summary>${summary}</summary>\n\n`, { label, head, rows, more, tail: tail + '\n</details>\n\n' }];
}

const tableMore = (cols: number, what: string) => (n: number) => `| … ${fmtInt(n)} more ${what} in the full report |${' |'.repeat(cols - 1)}\n`;
const listMore = (what: string) => (n: number) => `- … ${fmtInt(n)} more ${what} in the full report\n`;

// ─── the document ─────────────────────────────────────────────────────────────────────────────

function documentParts(report: Report): Part[] {
  const parts: Part[] = [];
  let budgetDetails: string[] = [];
  const verdict = verdictOf(report);
  const traffic = hasTraffic(report);
  parts.push(`## ${VERDICT_ICON[verdict.status]} pg-rehearse: ${verdict.status}\n\n`);
  parts.push(`${tx(headline(report))}\n\n`);
  if (verdict.reasons.length)
    parts.push({ tier: 1, label: 'reasons', head: '', rows: verdict.reasons.map((r) => `- ${tx(r)}\n`), more: listMore('reasons'), tail: '\n' });
  if (report.run.error?.hint) parts.push(`> ${tx(report.run.error.hint)}\n\n`);
  parts.push(NOTE);

  // a long history (a fresh install): the slowest, the strongest locks and the failures first
  if (report.migrations.length >= LONG_HISTORY) parts.push(historyMarkdown(summariseHistory(report), tx, code));
  // per migration: the worst lock hold and the longest blocking
  if (report.migrations.length > 0) {
    const head = traffic
      ? '| migration | status | duration | worst lock hold | longest blocking |\n|---|---|---|---|---|\n'
      : '| migration | status | duration | worst lock hold |\n|---|---|---|---|\n';
    const rows = report.migrations.map((m) => {
      const w = worstLockHold(m);
      const lock = w?.strongestLocks[0];
      const hold = w
        ? `**${fmtMs(w.lockHeldMs)}**${lock ? ` ${lockName(lock.mode)} on ${code(lock.relation)}` : ''}${w.rewrites.length ? ' · rewrite' : ''} · ${code(baseLine(w.file, w.line))}`
        : '—';
      const cells = [`${code(m.id)} ${tx(m.name)}`, statusIcon(m.status), fmtMs(m.durationMs), hold];
      if (traffic) {
        const b = longestBlockingOf(report, m);
        cells.push(b ? `**${fmtMs(b.ms)}**${b.who ? ` ${code(b.who)}` : ''} · statement ${b.s.index + 1}` : '—');
      }
      return `| ${cells.join(' | ')} |\n`;
    });
    parts.push('### Migrations\n\n', { tier: 1, label: 'migration rows', head, rows, more: tableMore(traffic ? 5 : 4, 'migrations'), tail: '\n' });
  } else if (report.migrationSource) {
    parts.push(`### Migrations\n\nNothing pending: ${report.migrationSource.alreadyApplied.length} of ${report.migrationSource.total} already applied.\n\n`);
  }

  // findings: what to do about each problem measured, and --suggest's proof
  const findingRows = findingsMarkdownRows(report, tx, code);
  if (findingRows.length) parts.push('### Findings\n\n', { tier: 1, label: 'findings', head: '', rows: findingRows, more: listMore('findings'), tail: '\n' });
  const ba = suggestionRows(report);
  if (ba.length && report.suggestion) {
    const sg = report.suggestion;
    parts.push(
      `### Suggested migrations, rehearsed\n\n${sg.rewrites.length} mechanical rewrite${sg.rewrites.length === 1 ? '' : 's'} in ${code(sg.folder)}, rehearsed on the same dataset and workload (${tx(sg.status)}; its report ${code(sg.report)}).\n\n| | before | after |\n|---|---|---|\n` +
        ba.map((r) => `| ${tx(r.label)} | ${r.before} | **${r.after}** |\n`).join('') +
        '\n',
    );
  }

  // budgets
  const budgets = report.budgets?.results ?? [];
  if (budgets.length > 0) {
    const rows = budgets.map((b) => {
      const result = b.skipped
        ? `➖ not applicable: ${tx(b.skipped)}`
        : b.ok
          ? '✅ pass'
          : `❌ ${b.violations.length} violation${b.violations.length === 1 ? '' : 's'}`;
      return `| ${code(b.name)} | ${tx(b.description)} | ${result} |\n`;
    });
    parts.push('### Budgets\n\n', {
      tier: 1,
      label: 'budget rows',
      head: '| budget | limit | result |\n|---|---|---|\n',
      rows,
      more: tableMore(3, 'budgets'),
      tail: '\n',
    });
    const line = (name: string, v: (typeof budgets)[number]['violations'][number]) =>
      `- ❌ ${code(name)} ${v.file ? `${code(baseLine(v.file, v.line))} ` : ''}${tx(v.message)}\n`;
    // the first few of each budget here, all of them in the details below
    const first = budgets.flatMap((b) => b.violations.slice(0, 3).map((v) => line(b.name, v)));
    const rest = budgets.reduce((t, b) => t + Math.max(0, b.violations.length - 3), 0);
    if (first.length)
      parts.push({
        tier: 1,
        label: 'budget violations',
        head: '',
        rows: first,
        more: listMore('violations'),
        tail: rest ? `- … ${fmtInt(rest)} more under “Budget violations” below\n\n` : '\n',
      });
    budgetDetails = budgets.flatMap((b) => b.violations.map((v) => line(b.name, v)));
  }

  // compatibility and rollout (the matrix can be long: a row per migration)
  const compat = report.compatibility;
  if (compat) {
    const apps = compat.apps.map((a) => (typeof a === 'string' ? a : a.name));
    const head = `| schema state | ${apps.map(tx).join(' | ')} |\n|---|${apps.map(() => '---|').join('')}\n`;
    const rows = compatRows(report).map((r) => {
      const cells = r.cells.map((c) =>
        c.ok
          ? '✅'
          : `❌ ${c.failures
              .slice(0, 2)
              .map((f) => `${code(f.query)} ${tx(f.sqlstate)}`)
              .join(', ')}${c.failures.length > 2 ? ` +${c.failures.length - 2}` : ''}`,
      );
      const m = report.migrations.find((x) => x.id === r.state);
      return `| ${code(r.state)}${m ? ` ${tx(m.name)}` : ''} | ${cells.join(' | ')} |\n`;
    });
    parts.push("### Compatibility\n\nEach app version's queries, probed at the starting schema and after each migration.\n\n", {
      tier: 1,
      label: 'compatibility rows',
      head,
      rows,
      more: tableMore(apps.length + 1, 'schema states'),
      tail: '\n',
    });
    const lines: string[] = [];
    const rollout = rolloutText(report);
    if (rollout) lines.push(`**Suggested rollout:** ${tx(rollout)}`);
    lines.push(
      `Old app works through ${compat.oldAppLastState !== null ? code(compat.oldAppLastState) : '(no state)'}; new app works from ${compat.newAppFirstState !== null ? code(compat.newAppFirstState) : '(no state)'}.`,
    );
    parts.push(lines.join('\n\n') + '\n\n');
  }

  // schema
  const schemaLines: string[] = [];
  if (report.schemaDiff)
    schemaLines.push(
      `Schema: ${diffCounts(report.schemaDiff)}${report.schemaDiff.columnOrderOnly.length ? ` (column order only: ${report.schemaDiff.columnOrderOnly.length})` : ''}.`,
    );
  const rb = report.rollback;
  if (rb) {
    schemaLines.push(
      rb.restored
        ? `Rollback: ✅ ${rb.migrations.filter((m) => m.status === 'applied').length} down migrations restored the starting schema.`
        : `Rollback: ❌ the down migrations did **not** restore the starting schema (${diffCounts(rb.diff)}).`,
    );
  }
  if (report.drift)
    schemaLines.push(
      report.drift.drifted ? `Drift: ⚠️ the database differs from what the migrations build (${diffCounts(report.drift.diff)}).` : 'Drift: none.',
    );
  if (report.expectedSchema)
    schemaLines.push(
      report.expectedSchema.matches
        ? `Expected schema: ✅ matches ${code(report.expectedSchema.file)}.`
        : `Expected schema: ❌ differs from ${code(report.expectedSchema.file)} (${diffCounts(report.expectedSchema.diff)}).`,
    );
  const warnings = [
    ...report.schemaHazards.map((h) => `- ⚠️ ${tx(h.message)}\n`),
    ...(rb?.dataLoss ?? []).map((w) => `- ⚠️ data loss: ${tx(w.message)} (${code(baseLine(w.file, w.line))})\n`),
  ];
  if (schemaLines.length || warnings.length) {
    parts.push('### Schema\n\n' + schemaLines.map((l) => `${l}\n`).join('') + '\n');
    if (warnings.length) parts.push({ tier: 1, label: 'schema warnings', head: '', rows: warnings, more: listMore('warnings'), tail: '\n' });
  }

  // baseline comparison
  const cmp = report.comparison;
  if (cmp) {
    parts.push(
      `### Against the baseline\n\nCompared with ${code(cmp.baseline.file)} (run ${tx(cmp.baseline.startedAt)}): **${cmp.regressions} regression${cmp.regressions === 1 ? '' : 's'}** (a figure up more than ${cmp.thresholdPct} % and at least ${fmtMs(cmp.minDeltaMs)}, or a new failure); ${cmp.statements.length} statements matched, ${cmp.added.length} new, ${cmp.removed.length} gone.\n\n`,
    );
    const d = (x: MetricDelta | null) =>
      x ? `${x.regression ? '**' : ''}${fmtMs(x.before)} → ${fmtMs(x.after)} (${fmtPct(x.deltaPct)})${x.regression ? '**' : ''}` : '—';
    const reg = cmp.statements
      .filter((s) => s.regression)
      .map(
        (s) =>
          `| ${code(`${s.migrationId}#${s.statementIndex + 1}`)} ${code(baseLine(s.file, s.line))} | ${d(s.durationMs)} | ${d(s.lockHeldMs)} | ${d(s.maxBlockedMs)} |\n`,
      );
    const regQ = cmp.queries.filter((q) => q.p99Ms.regression).map((q) => `| ${code(`${q.app}/${q.query}`)} p99 | ${d(q.p99Ms)} | | |\n`);
    if (reg.length + regQ.length) {
      parts.push({
        tier: 1,
        label: 'regression rows',
        head: '| statement | duration | lock held | blocked |\n|---|---|---|---|\n',
        rows: [...reg, ...regQ],
        more: tableMore(4, 'regressions'),
        tail: '\n',
      });
    }
    if (cmp.newFailures.length) {
      parts.push({
        tier: 1,
        label: 'new failures',
        head: '',
        rows: cmp.newFailures.map((f) => `- ❌ new: ${f.file ? `${code(baseLine(f.file, f.line))} ` : ''}${tx(f.message)}\n`),
        more: listMore('new failures'),
        tail: '\n',
      });
    }
  }

  // details
  if (budgetDetails.length > 3)
    parts.push(...details(`Budget violations (${fmtInt(budgetDetails.length)})`, 'budget violation lines', '', budgetDetails, listMore('violations')));
  const stmts = allStatements(report);
  if (stmts.length) {
    const head = `| statement | SQL | duration | locks | lock held |${traffic ? ' blocked |' : ''} rewritten | WAL |\n|---|---|---|---|---|${traffic ? '---|' : ''}---|---|\n`;
    const rows = stmts.map(({ m, s }) => {
      const locks =
        s.strongestLocks.map((l) => `${lockName(l.mode)} ${code(l.relation)}`).join(', ') +
        (s.lockSource === 'sampled' && s.strongestLocks.length ? ' (sampled)' : '');
      const sql = code(oneLine(s.sql, 100)) + (s.error ? ` ❌ ${tx(`${s.error.sqlstate} ${s.error.message}`)}` : '');
      const cells = [
        `${code(`${m.id}#${s.index + 1}`)} ${code(baseLine(s.file, s.line))}`,
        sql,
        fmtMs(s.durationMs) + (predictedText(s) ? ` · ${tx(predictedText(s)!)}` : ''),
        locks || '—',
        s.lockHeldMs > 0 ? fmtMs(s.lockHeldMs) : '—',
      ];
      if (traffic) {
        const b = longestBlocking(report, m, s);
        cells.push(b ? `${fmtMs(b.ms)}${s.blockedQueries !== undefined ? ` (${fmtInt(s.blockedQueries)} queries)` : ''}` : '—');
      }
      cells.push(
        [...s.rewrites.map((r) => code(r.relation)), ...(s.truncated ?? []).map((r) => `${code(r.relation)} (truncated)`)].join(', ') || '—',
        fmtBytes(s.walBytes),
      );
      return `| ${cells.join(' | ')} |\n`;
    });
    parts.push(...details(`Statements (${fmtInt(stmts.length)})`, 'statement rows', head, rows, tableMore(traffic ? 8 : 7, 'statements')));
  }

  // one row per blocked query and migration statement: executions, longest, total (never the same line twice)
  const allWaits = report.blocking ?? [];
  if (allWaits.length) {
    const groups = groupBlocking(allWaits);
    const ordered = [...groups.filter((g) => g.app !== 'migration'), ...groups.filter((g) => g.app === 'migration')];
    const rows = ordered.map(
      (g) =>
        `| ${code(`${g.app}/${g.query}`)} | ${fmtInt(g.count)} | ${fmtMs(g.longestMs)} | ${fmtMs(g.totalMs)} | ${tx(g.blockerKind)}${g.migrationId !== null ? ` ${code(`${g.migrationId}#${(g.statementIndex ?? 0) + 1}`)}` : ''} | ${tx(g.rootBlocker)} |\n`,
    );
    parts.push(
      ...details(
        `Blocking (${fmtInt(groups.length)} blocked queries by statement, longest first)`,
        'blocking rows',
        '| blocked query | executions | longest | total | blocked by | root blocker |\n|---|---|---|---|---|---|\n',
        rows,
        tableMore(6, 'blocked queries'),
      ),
    );
  }

  const apps = report.workload?.apps ?? [];
  if (apps.length) {
    const rows = apps.flatMap((a) =>
      a.queries.map((q) => {
        const errors =
          Object.entries(q.errors)
            .map(([k, n]) => `${tx(k)}: ${fmtInt(n)}`)
            .join(', ') || '—';
        const p = (v: number | null) => (v === null ? '—' : fmtMs(v));
        return `| ${code(a.name)} | ${code(q.name)} | ${fmtInt(q.count)} | ${errors} | ${p(q.p50Ms)} | ${p(q.p95Ms)} | ${p(q.p99Ms)} | ${p(q.maxMs)} |\n`;
      }),
    );
    parts.push(
      ...details(
        'Application latency',
        'latency rows',
        '| app | query | executions | errors | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|---|---|\n',
        rows,
        tableMore(8, 'queries'),
      ),
    );
  }

  if (compat) {
    const rows = compat.cells.flatMap((c) =>
      c.failures.map((f) => `- ${code(c.state)} ${code(c.app)} ${code(f.query)}: ${tx(`${f.sqlstate} ${f.message}`)}\n`),
    );
    if (rows.length) parts.push(...details(`Compatibility failures (${fmtInt(rows.length)})`, 'compatibility failures', '', rows, listMore('failures')));
  }

  if (report.schemaDiff) {
    const lines = diffLines(report.schemaDiff).map((l) => `${clean(l).replace(/```/g, "'''")}\n`);
    if (lines.length)
      parts.push(
        ...details(
          `Schema diff (${diffCounts(report.schemaDiff)})`,
          'schema diff lines',
          '```diff\n',
          lines,
          (n) => `… ${fmtInt(n)} more lines in the full report\n`,
          '```\n',
        ),
      );
  }
  for (const [title, diff] of [
    ['Rollback: what the downs did not restore', rb && !rb.restored ? rb.diff : null],
    ['Drift: the database against the migration history', report.drift?.drifted ? report.drift.diff : null],
    ['Expected schema: differences', report.expectedSchema && !report.expectedSchema.matches ? report.expectedSchema.diff : null],
  ] as const) {
    if (!diff) continue;
    const lines = diffLines(diff).map((l) => `${clean(l).replace(/```/g, "'''")}\n`);
    if (lines.length)
      parts.push(
        ...details(title, `${title.split(':')[0]!.toLowerCase()} lines`, '```diff\n', lines, (n) => `… ${fmtInt(n)} more lines in the full report\n`, '```\n'),
      );
  }

  if (rb?.migrations.length) {
    const rows = rb.migrations.map((m) => {
      const failed = m.statements.find((s) => s.error);
      const w = worstLockHold(m);
      return `| ${code(m.id)} ${tx(m.name)} | ${statusIcon(m.status)} | ${fmtMs(m.durationMs)} | ${w ? `${fmtMs(w.lockHeldMs)} · ${code(baseLine(w.file, w.line))}` : '—'} | ${failed?.error ? tx(`${failed.error.sqlstate} ${failed.error.message}`) : ''} |\n`;
    });
    parts.push(
      ...details(
        'Rollback: the down migrations, newest first',
        'rollback rows',
        '| down migration | status | duration | worst lock hold | error |\n|---|---|---|---|---|\n',
        rows,
        tableMore(5, 'down migrations'),
      ),
    );
  }

  const settings = Object.entries(report.postgres?.settings ?? {});
  const run = [
    `- command: ${code(['rehearse', ...report.run.argv].join(' '))}`,
    `- started ${tx(report.run.startedAt)}, ${fmtMs(report.run.durationMs)}, exit code ${report.run.exitCode}`,
    ...(report.migrationSource
      ? [
          `- migrations: ${code(report.migrationSource.folder)} (${tx(report.migrationSource.format)}), ${report.migrationSource.total} found, ${report.migrationSource.alreadyApplied.length} already applied`,
        ]
      : []),
    ...(report.dataset ? [`- dataset: ${datasetLine(report.dataset.tables)}; loaded in ${fmtMs(report.dataset.loadMs)}`] : []),
  ].map((l) => `${l}\n`);
  const settingRows = settings.map(([k, v]) => `- ${code(k)} = ${code(v)}\n`);
  parts.push(...details('Run', 'setting lines', run.join(''), settingRows, listMore('settings')));

  parts.push(`<sub>pg-rehearse ${tx(report.tool.version)} · report.json schema ${tx(report.schemaVersion)} · run ${tx(report.run.startedAt)}</sub>\n`);
  return parts;
}

/** The largest tables (at most 8), the rest counted. */
function datasetLine(tables: { name: string; rows: number }[]): string {
  const top = tables.slice().sort((a, b) => b.rows - a.rows || a.name.localeCompare(b.name));
  const shown = top.slice(0, 8).map((t) => `${code(t.name)} ${fmtInt(t.rows)} rows`);
  return shown.join(', ') + (top.length > 8 ? ` and ${fmtInt(top.length - 8)} more tables` : '');
}
