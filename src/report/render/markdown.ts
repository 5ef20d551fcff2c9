import { predictedText } from './prediction.ts';
import type { SchemaDiff } from '../../schema/index.ts';
import type { MetricDelta } from '../model/types.ts';
import { allStatements, compatRows, hasTraffic, longestBlocking, longestBlockingOf, rolloutText, verdictOf, worstLockHold } from '../policy/queries.ts';
import { baseLine, clean, diffCounts, diffLines, fmtBytes, fmtInt, fmtMs, fmtPct, lockName, oneLine } from '../format/text.ts';
import { headline } from './common.ts';
import { FILE_NAMES } from '../model/files.ts';
import type { Report } from '../model/types.ts';
import { LONG_HISTORY, historyMarkdown, summariseHistory } from './history.ts';
import { groupBlocking } from '../format/blocking-groups.ts';
import { findingsMarkdownRows, suggestionRows } from './findings.ts';
import { suggestionFailureText } from './suggestion-failure.ts';

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
  return [
    ...verdictSection(report),
    ...historySection(report),
    ...migrationsSection(report),
    ...productionRateSection(report),
    ...findingsSection(report),
    ...suggestionSection(report),
    ...budgetsSection(report),
    ...compatibilitySection(report),
    ...replaySection(report),
    ...schemaSection(report),
    ...comparisonSection(report),
    // the details, collapsed
    ...budgetViolationsDetails(report),
    ...statementsDetails(report),
    ...blockingDetails(report),
    ...latencyDetails(report),
    ...compatibilityFailuresDetails(report),
    ...schemaDiffDetails(report),
    ...rollbackDetails(report),
    ...runDetails(report),
    `<sub>pg-rehearse ${tx(report.tool.version)} · report.json schema ${tx(report.schemaVersion)} · run ${tx(report.run.startedAt)}</sub>\n`,
  ];
}

/** The verdict, the headline, the reasons; the truncation note goes after them. */
function verdictSection(report: Report): Part[] {
  const verdict = verdictOf(report);
  const parts: Part[] = [`## ${VERDICT_ICON[verdict.status]} pg-rehearse: ${verdict.status}\n\n`, `${tx(headline(report))}\n\n`];
  const suggestionFailed = suggestionFailureText(report);
  if (suggestionFailed) parts.push(`❌ **${tx(suggestionFailed.head)}** (see *Suggested migrations, rehearsed*)\n\n`);
  if (verdict.reasons.length)
    parts.push({ tier: 1, label: 'reasons', head: '', rows: verdict.reasons.map((r) => `- ${tx(r)}\n`), more: listMore('reasons'), tail: '\n' });
  if (report.run.error?.hint) parts.push(`> ${tx(report.run.error.hint)}\n\n`);
  parts.push(NOTE);
  return parts;
}

/** A long history (a fresh install): the slowest, the strongest locks and the failures first. */
function historySection(report: Report): Part[] {
  return report.migrations.length >= LONG_HISTORY ? [historyMarkdown(summariseHistory(report), tx, code)] : [];
}

/** Per migration: the worst lock hold and the longest blocking. */
function migrationsSection(report: Report): Part[] {
  if (report.migrations.length === 0) {
    return report.migrationSource
      ? [`### Migrations\n\nNothing pending: ${report.migrationSource.alreadyApplied.length} of ${report.migrationSource.total} already applied.\n\n`]
      : [];
  }
  const traffic = hasTraffic(report);
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
  return ['### Migrations\n\n', { tier: 1, label: 'migration rows', head, rows, more: tableMore(traffic ? 5 : 4, 'migrations'), tail: '\n' }];
}

/** A statistics file with traffic: each blocking lock hold at production's rate, its basis in one line. */
function productionRateSection(report: Report): Part[] {
  const rows = report.migrations.flatMap((m) =>
    m.statements.flatMap((s) => (s.atProductionRate?.[0] ? [`- ${code(`${m.id}#${s.index + 1}`)} ${tx(s.atProductionRate[0].basis)}\n`] : [])),
  );
  return rows.length
    ? [
        `### At production's rate (estimates)\n\n`,
        { tier: 1, label: 'production-rate rows', head: '', rows, more: (n: number) => `- … ${fmtInt(n)} more statements in the full report\n`, tail: '\n' },
      ]
    : [];
}

/** What to do about each problem measured. */
function findingsSection(report: Report): Part[] {
  const rows = findingsMarkdownRows(report, tx, code);
  return rows.length ? ['### Findings\n\n', { tier: 1, label: 'findings', head: '', rows, more: listMore('findings'), tail: '\n' }] : [];
}

/** --suggest's proof: the rewrites rehearsed, before and after. */
function suggestionSection(report: Report): Part[] {
  const ba = suggestionRows(report);
  const sg = report.suggestion;
  if (!ba.length || !sg) return [];
  // a failed rehearsal leads with the failure; the figures of the part that ran are labelled, never bold
  const failed = suggestionFailureText(report);
  const lead = failed ? `> ❌ **${tx(failed.head)}**\n${failed.details.map((d) => `>\n> ${tx(d)}\n`).join('')}\n` : '';
  return [
    `### Suggested migrations, rehearsed\n\n${lead}${sg.rewrites.length} mechanical rewrite${sg.rewrites.length === 1 ? '' : 's'} in ${code(sg.folder)}, rehearsed on the same dataset and workload (${tx(sg.status)}; its report ${code(sg.report)}).\n\n` +
      (failed ? `| | before | after (partial: stopped at the failure) |\n|---|---|---|\n` : '| | before | after |\n|---|---|---|\n') +
      ba.map((r) => `| ${tx(r.label)} | ${r.before} | ${failed ? r.after : `**${r.after}**`} |\n`).join('') +
      (failed ? `\n${tx(failed.partial)}\n` : '') +
      '\n',
  ];
}

type BudgetResult = NonNullable<Report['budgets']>['results'][number];
const violationLine = (name: string, v: BudgetResult['violations'][number]) =>
  `- ❌ ${code(name)} ${v.file ? `${code(baseLine(v.file, v.line))} ` : ''}${tx(v.message)}\n`;

/** Each budget's result, and the first few violations of each (all of them in the details). */
function budgetsSection(report: Report): Part[] {
  const budgets = report.budgets?.results ?? [];
  if (budgets.length === 0) return [];
  const rows = budgets.map((b) => {
    const result = b.skipped
      ? `➖ not applicable: ${tx(b.skipped)}`
      : b.ok
        ? '✅ pass'
        : `❌ ${b.violations.length} violation${b.violations.length === 1 ? '' : 's'}`;
    return `| ${code(b.name)} | ${tx(b.description)} | ${result} |\n`;
  });
  const parts: Part[] = [
    '### Budgets\n\n',
    {
      tier: 1,
      label: 'budget rows',
      head: '| budget | limit | result |\n|---|---|---|\n',
      rows,
      more: tableMore(3, 'budgets'),
      tail: '\n',
    },
  ];
  const first = budgets.flatMap((b) => b.violations.slice(0, 3).map((v) => violationLine(b.name, v)));
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
  return parts;
}

/** --replay-log: how much of the log ran and how late; the warning when it fell behind (a slow replay is not a quiet one). */
function replaySection(report: Report): Part[] {
  const r = report.workload?.replay;
  if (!r) return [];
  const errors = Object.entries(r.errors)
    .map(([k, n]) => `${k}: ${fmtInt(n)}`)
    .join(', ');
  const lag = r.lag
    ? ` Lag behind the log's schedule: p50 ${fmtMs(r.lag.p50Ms ?? 0)}, p99 ${fmtMs(r.lag.p99Ms ?? 0)}, max ${fmtMs(r.lag.maxMs ?? 0)}; ${Math.round((r.lag.within10Ms ?? 0) * 100)} % started within 10 ms.`
    : ' Replayed as fast as possible (no schedule, no lag).';
  const parts: Part[] = [
    '### Log replay\n\n',
    `${fmtInt(r.replayed)} of ${fmtInt(r.statements)} logged statements replayed in ${fmtInt(r.sessions.length)} sessions from ${code(r.file)} (${tx(r.format)}${r.speed === 0 || r.speed === 1 ? '' : `, ${tx(String(r.speed))}× speed`}).${tx(lag)}${errors ? ` Errors: ${tx(errors)}.` : ''}\n\n`,
  ];
  if (r.behind) parts.push(`⚠️ ${tx(r.behind)}\n\n`);
  if (r.unreadable.first)
    parts.push(`${fmtInt(r.unreadable.count)} log entries could not be read (first: line ${r.unreadable.first.line}: ${tx(r.unreadable.first.why)}).\n\n`);
  return parts;
}

/** Compatibility and rollout (the matrix can be long: a row per migration). */
function compatibilitySection(report: Report): Part[] {
  const compat = report.compatibility;
  if (!compat) return [];
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
  const lines: string[] = [];
  const rollout = rolloutText(report);
  if (rollout) lines.push(`**Suggested rollout:** ${tx(rollout)}`);
  lines.push(
    `Old app works through ${compat.oldAppLastState !== null ? code(compat.oldAppLastState) : '(no state)'}; new app works from ${compat.newAppFirstState !== null ? code(compat.newAppFirstState) : '(no state)'}.`,
  );
  return [
    "### Compatibility\n\nEach app version's queries, probed at the starting schema and after each migration.\n\n",
    {
      tier: 1,
      label: 'compatibility rows',
      head,
      rows,
      more: tableMore(apps.length + 1, 'schema states'),
      tail: '\n',
    },
    lines.join('\n\n') + '\n\n',
  ];
}

/** Schema changes, rollback, drift, the expected schema, and the warnings about them. */
function schemaSection(report: Report): Part[] {
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
  if (!schemaLines.length && !warnings.length) return [];
  const parts: Part[] = ['### Schema\n\n' + schemaLines.map((l) => `${l}\n`).join('') + '\n'];
  if (warnings.length) parts.push({ tier: 1, label: 'schema warnings', head: '', rows: warnings, more: listMore('warnings'), tail: '\n' });
  return parts;
}

/** The baseline comparison: regressions and new failures. */
function comparisonSection(report: Report): Part[] {
  const cmp = report.comparison;
  if (!cmp) return [];
  const parts: Part[] = [
    `### Against the baseline\n\nCompared with ${code(cmp.baseline.file)} (run ${tx(cmp.baseline.startedAt)}): **${cmp.regressions} regression${cmp.regressions === 1 ? '' : 's'}** (a figure up more than ${cmp.thresholdPct} % and at least ${fmtMs(cmp.minDeltaMs)}, or a new failure); ${cmp.statements.length} statements matched, ${cmp.added.length} new, ${cmp.removed.length} gone.\n\n`,
  ];
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
  return parts;
}

/** Every budget violation, when the budgets section showed only the first few. */
function budgetViolationsDetails(report: Report): Part[] {
  const lines = (report.budgets?.results ?? []).flatMap((b) => b.violations.map((v) => violationLine(b.name, v)));
  return lines.length > 3 ? details(`Budget violations (${fmtInt(lines.length)})`, 'budget violation lines', '', lines, listMore('violations')) : [];
}

/** Every statement: SQL, duration, locks, lock held, blocking, rewrites, WAL. */
function statementsDetails(report: Report): Part[] {
  const stmts = allStatements(report);
  if (!stmts.length) return [];
  const traffic = hasTraffic(report);
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
  return details(`Statements (${fmtInt(stmts.length)})`, 'statement rows', head, rows, tableMore(traffic ? 8 : 7, 'statements'));
}

/** One row per blocked query and migration statement: executions, longest, total (never the same line twice). */
function blockingDetails(report: Report): Part[] {
  const allWaits = report.blocking ?? [];
  if (!allWaits.length) return [];
  const groups = groupBlocking(allWaits);
  const ordered = [...groups.filter((g) => g.app !== 'migration'), ...groups.filter((g) => g.app === 'migration')];
  const rows = ordered.map(
    (g) =>
      `| ${code(`${g.app}/${g.query}`)} | ${fmtInt(g.count)} | ${fmtMs(g.longestMs)} | ${fmtMs(g.totalMs)} | ${tx(g.blockerKind)}${g.migrationId !== null ? ` ${code(`${g.migrationId}#${(g.statementIndex ?? 0) + 1}`)}` : ''} | ${tx(g.rootBlocker)} |\n`,
  );
  return details(
    `Blocking (${fmtInt(groups.length)} blocked queries by statement, longest first)`,
    'blocking rows',
    '| blocked query | executions | longest | total | blocked by | root blocker |\n|---|---|---|---|---|---|\n',
    rows,
    tableMore(6, 'blocked queries'),
  );
}

/** Each application query's executions, errors and latency percentiles. */
function latencyDetails(report: Report): Part[] {
  const apps = report.workload?.apps ?? [];
  if (!apps.length) return [];
  const rows = apps.flatMap((a) =>
    a.queries.map((q) => {
      const errors =
        Object.entries(q.errors)
          .map(([k, n]) => `${tx(k)}: ${fmtInt(n)}`)
          .join(', ') || '—';
      const p = (v: number | null) => (v === null ? '—' : fmtMs(v));
      // a log's statement: its normalized text beside its name
      const name = q.text ? `${code(q.name)} ${code(q.text.replace(/\s+/g, ' ').slice(0, 80))}` : code(q.name);
      return `| ${code(a.name)} | ${name} | ${fmtInt(q.count)} | ${errors} | ${p(q.p50Ms)} | ${p(q.p95Ms)} | ${p(q.p99Ms)} | ${p(q.maxMs)} |\n`;
    }),
  );
  return details(
    'Application latency',
    'latency rows',
    '| app | query | executions | errors | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|---|---|\n',
    rows,
    tableMore(8, 'queries'),
  );
}

/** Every failed probe of the compatibility matrix, with its SQLSTATE and message. */
function compatibilityFailuresDetails(report: Report): Part[] {
  const rows = (report.compatibility?.cells ?? []).flatMap((c) =>
    c.failures.map((f) => `- ${code(c.state)} ${code(c.app)} ${code(f.query)}: ${tx(`${f.sqlstate} ${f.message}`)}\n`),
  );
  return rows.length ? details(`Compatibility failures (${fmtInt(rows.length)})`, 'compatibility failures', '', rows, listMore('failures')) : [];
}

/** The schema diff, then what rollback, drift and the expected schema found different. */
function schemaDiffDetails(report: Report): Part[] {
  const rb = report.rollback;
  const diffs: [string, string, SchemaDiff | null | undefined][] = [];
  if (report.schemaDiff) diffs.push([`Schema diff (${diffCounts(report.schemaDiff)})`, 'schema diff lines', report.schemaDiff]);
  for (const [title, diff] of [
    ['Rollback: what the downs did not restore', rb && !rb.restored ? rb.diff : null],
    ['Drift: the database against the migration history', report.drift?.drifted ? report.drift.diff : null],
    ['Expected schema: differences', report.expectedSchema && !report.expectedSchema.matches ? report.expectedSchema.diff : null],
  ] as const) {
    diffs.push([title, `${title.split(':')[0]!.toLowerCase()} lines`, diff]);
  }
  return diffs.flatMap(([title, label, diff]) => {
    if (!diff) return [];
    const lines = diffLines(diff).map((l) => `${clean(l).replace(/```/g, "'''")}\n`);
    if (!lines.length) return [];
    return details(title, label, '```diff\n', lines, (n) => `… ${fmtInt(n)} more lines in the full report\n`, '```\n');
  });
}

/** The down migrations of --rollback, newest first. */
function rollbackDetails(report: Report): Part[] {
  const rb = report.rollback;
  if (!rb?.migrations.length) return [];
  const rows = rb.migrations.map((m) => {
    const failed = m.statements.find((s) => s.error);
    const w = worstLockHold(m);
    return `| ${code(m.id)} ${tx(m.name)} | ${statusIcon(m.status)} | ${fmtMs(m.durationMs)} | ${w ? `${fmtMs(w.lockHeldMs)} · ${code(baseLine(w.file, w.line))}` : '—'} | ${failed?.error ? tx(`${failed.error.sqlstate} ${failed.error.message}`) : ''} |\n`;
  });
  return details(
    'Rollback: the down migrations, newest first',
    'rollback rows',
    '| down migration | status | duration | worst lock hold | error |\n|---|---|---|---|---|\n',
    rows,
    tableMore(5, 'down migrations'),
  );
}

/** The command, when and how long, the migrations and dataset, the settings in force. */
function runDetails(report: Report): Part[] {
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
  return details('Run', 'setting lines', run.join(''), settingRows, listMore('settings'));
}

/** The largest tables (at most 8), the rest counted. */
function datasetLine(tables: { name: string; rows: number }[]): string {
  const top = tables.slice().sort((a, b) => b.rows - a.rows || a.name.localeCompare(b.name));
  const shown = top.slice(0, 8).map((t) => `${code(t.name)} ${fmtInt(t.rows)} rows`);
  return shown.join(', ') + (top.length > 8 ? ` and ${fmtInt(top.length - 8)} more tables` : '');
}
