import path from 'node:path';
import { fmtSpan, measuredAndPredicted, predictedText, untrustedWhy } from './prediction.ts';
import Table from 'cli-table3';
import type { Report, ReportStatement } from '../model/types.ts';
import { fileLine } from '../format/text.ts';
import { LONG_HISTORY, historyLines, summariseHistory } from './history.ts';
import { groupBlocking } from '../format/blocking-groups.ts';
import { findingsTerminalLines, suggestionRows } from './findings.ts';
import { suggestionFailureText } from './suggestion-failure.ts';

export interface TerminalOptions {
  color?: boolean;
  /** terminal width (default 100); the statements' SQL is cut so the table fits */
  width?: number;
}

/** The widest line, colours left out. */
const widest = (text: string): number => Math.max(0, ...text.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').length));

/**
 * Render with the widest SQL column that keeps the table within `width`: start at 60 characters
 * and cut the SQL by what the table overflows, down to 16; then narrow the lock and rewrite cells
 * (the lock mode moves to a line of its own), down to 20; then drop the cells' right padding; then
 * cut the SQL down to 10. Columns are never wrapped to fit, only the SQL and relation names cut.
 */
export function fitWidth(build: (sqlWidth: number, cellWidth: number, compact: boolean) => string, width: number): string {
  let sql = 60;
  let cell = 40;
  let compact = false;
  let text = build(sql, cell, compact);
  for (let i = 0; i < 40 && widest(text) > width; i++) {
    const over = widest(text) - width;
    if (sql > 16) sql = Math.max(16, sql - over);
    else if (cell > 20) cell = Math.max(20, cell - Math.max(over, 4));
    else if (!compact) compact = true;
    else if (sql > 10) sql = Math.max(10, sql - over);
    else break;
    text = build(sql, cell, compact);
  }
  return text;
}

/** Each line of a cell cut to `max` characters. */
const cutLines = (text: string, max: number) =>
  text
    .split('\n')
    .map((l) => (l.length > max ? l.slice(0, max - 1) + '…' : l))
    .join('\n');

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 1 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`);

/** The summary printed after a run: per migration and statement, duration, locks, holds, rewrites. */
export function renderTerminal(report: Report, options: TerminalOptions = {}): string {
  const color = options.color ?? false;
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const red = (s: string) => paint(31, s);
  const yellow = (s: string) => paint(33, s);
  const green = (s: string) => paint(32, s);
  const bold = (s: string) => paint(1, s);
  const out: string[] = [];

  const pgLine = report.postgres ? `PostgreSQL ${report.postgres.version} (${report.postgres.provider})` : 'PostgreSQL: not started';
  const ds = report.dataset;
  const dataLine = ds
    ? `dataset: ${ds.tables.length} tables, ${ds.tables.reduce((t, x) => t + x.rows, 0).toLocaleString('en-US')} rows, loaded in ${ms(ds.loadMs)}`
    : 'dataset: not loaded';
  out.push(bold('pg-rehearse') + ` — ${pgLine}; ${dataLine}`);

  if (report.migrations.length >= LONG_HISTORY) {
    out.push(...historyLines(summariseHistory(report)));
  } else if (report.migrations.length > 0) {
    const traffic = report.workload !== null;
    const build = (sqlWidth: number, cellWidth: number, compact: boolean) => {
      const table = new Table({
        head: ['#', 'statement', 'time', 'strongest lock', 'held', 'rewritten', ...(traffic ? ['app blocked'] : [])],
        style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], ...(compact ? { 'padding-right': 0 } : {}) },
        wordWrap: true,
      });
      for (const m of report.migrations) {
        const status = m.status === 'applied' ? green(m.status) : m.status === 'failed' ? red(m.status) : yellow(m.status);
        const verify = m.verify
          ? m.verify.ok
            ? `  verify ok (${path.basename(m.verify.file)})`
            : `  verify failed at ${fileLine(m.verify.file, m.verify.error?.line ?? null)}: ${m.verify.error?.message ?? ''}`
          : '';
        const title = `${m.id} ${m.name}  ${m.status}  ${ms(m.durationMs)}  ${path.basename(m.file)}${verify}`;
        // the title spans the table: cut it rather than let it widen the table
        const cut = title.length > sqlWidth + 60 ? title.slice(0, sqlWidth + 59) + '…' : title;
        const content = cut
          .replace(`${m.id} ${m.name}`, bold(`${m.id} ${m.name}`))
          .replace(`  ${m.status}  `, `  ${status}  `)
          .replace('verify failed', red('verify failed'));
        table.push([{ colSpan: traffic ? 7 : 6, content }]);
        for (const s of m.statements) {
          const row = statementRow(s, sqlWidth, cellWidth, { red, yellow });
          if (traffic) row.push(blockedCell(s, { red, yellow }));
          table.push(row);
        }
      }
      return table.toString();
    };
    out.push(fitWidth(build, options.width ?? 100));
  }

  const s = report.summary;
  const parts = [`${s.applied} applied`, `${s.failed} failed`, `${s.skipped} skipped`, `${s.statements} statements`, `${s.rewrites} rewrites`];
  out.push(parts.join(', ') + (report.migrations.length === 0 && report.migrationSource ? ' — nothing pending' : ''));
  if (s.longestLockHold) {
    out.push(`longest lock hold: ${ms(s.longestLockHold.ms)} at ${fileLine(s.longestLockHold.file, s.longestLockHold.line)}`);
  }
  out.push(...predictionLines(report, yellow));
  out.push(...productionRateLines(report));
  out.push(...trafficLines(report, { red, yellow, green }, options.width ?? 100));
  out.push(...inspectLines(report, { red, yellow, green }));
  out.push(...findingsTerminalLines(report, { red, yellow }, options.width ?? 100));
  out.push(...suggestionLines(report, options.width ?? 100, red));
  const failed = report.migrations.flatMap((m) => m.statements).find((x) => x.error);
  if (failed?.error) {
    out.push(red(`failed: ${fileLine(failed.error.file, failed.error.line)}: ${failed.error.sqlstate} ${failed.error.message}`));
  }
  if (report.run.error) {
    out.push(red(`error: ${report.run.error.message}`) + (report.run.error.hint ? `\n  ${report.run.error.hint}` : ''));
  }
  return out.join('\n');
}

function statementRow(s: ReportStatement, sqlWidth: number, cellWidth: number, c: { red: (s: string) => string; yellow: (s: string) => string }): string[] {
  const sql = s.sql.replace(/\s+/g, ' ').trim();
  const text = sql.length > sqlWidth ? sql.slice(0, sqlWidth - 1) + '…' : sql;
  const locks = s.strongestLocks.map((l) => {
    const whole = `${l.relation}: ${l.mode.replace(/Lock$/, '')}`;
    // narrow: the mode on a line of its own, so it is never the part cut
    const label = whole.length <= cellWidth ? whole : cutLines(`${l.relation}:\n${l.mode.replace(/Lock$/, '')}`, cellWidth);
    return l.mode === 'AccessExclusiveLock' ? c.yellow(label) : label;
  });
  const truncated = (s.truncated ?? []).map((r) => `${r.relation} (truncated)`);
  // many relations rewritten (a table and its indexes): the first two and how many more
  const rewritten =
    s.rewrites.length > 3 ? [...s.rewrites.slice(0, 2).map((r) => r.relation), `+${s.rewrites.length - 2} more`] : s.rewrites.map((r) => r.relation);
  return [
    s.file ? `${s.index + 1} L${s.line}` : `${s.index + 1}`,
    s.error ? c.red(`${text}\n${cutLines(`✗ ${s.error.sqlstate} ${s.error.message}`, Math.max(sqlWidth, 24))}`) : text,
    ms(s.durationMs) + (predictedText(s) ? `\n→ ${fmtSpan(s.predicted!.durationMs)} predicted` : ''),
    locks.join('\n') + (s.lockSource === 'sampled' && locks.length ? '\n(sampled)' : ''),
    s.lockHeldMs > 0 ? ms(s.lockHeldMs) : '',
    cutLines([...rewritten, ...truncated].join('\n'), cellWidth),
  ];
}

type Paint = (s: string) => string;

/** --predict-for: one line per data-dependent statement, measured beside predicted. */
function predictionLines(report: Report, yellow: Paint): string[] {
  if (!report.prediction) return [];
  const out = [`predictions at production size (${path.basename(report.prediction.statsFile)}, scaled by ${report.prediction.scaledBy}):`];
  for (const m of report.migrations) {
    for (const s of m.statements) {
      const line = measuredAndPredicted(s);
      if (line) out.push(`  ${m.id}#${s.index + 1} ${s.predicted!.model}: ${line}` + (s.predicted!.trust ? yellow(` (${untrustedWhy(s)})`) : ''));
    }
  }
  if (out.length === 1) out.push('  no statement grows with the data: predicted as measured');
  return out;
}

/** A statistics file with traffic: each blocking lock hold at production's rate, its basis in one line. */
function productionRateLines(report: Report): string[] {
  const lines = report.migrations.flatMap((m) =>
    m.statements.flatMap((s) => (s.atProductionRate?.[0] ? [`  ${m.id}#${s.index + 1}: ${s.atProductionRate[0].basis}`] : [])),
  );
  return lines.length ? ["at production's rate (estimates):", ...lines] : [];
}

/** Schema diff, hazards, rollback, drift, expected schema: a few lines each. */
function inspectLines(report: Report, c: { red: Paint; yellow: Paint; green: Paint }): string[] {
  const out: string[] = [];
  const d = report.schemaDiff;
  if (d) {
    const n = d.added.length + d.removed.length + d.changed.length;
    out.push(`schema: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`);
    for (const line of diffLines(d).slice(0, 12)) out.push(`  ${line}`);
    if (n > 12) out.push(`  … ${n - 12} more in report.json`);
  }
  for (const h of report.schemaHazards) out.push(c.yellow(`hazard: ${h.message}`));
  const rb = report.rollback;
  if (rb) {
    const downs = rb.migrations.filter((m) => m.status === 'applied').length;
    if (rb.restored) {
      const order = rb.diff.columnOrderOnly.map((o) => o.table.replace(/^table:/, ''));
      out.push(
        c.green(`rollback: ${downs} down migrations restored the starting schema`) + (order.length ? ` (column order differs in ${order.join(', ')})` : ''),
      );
    } else {
      out.push(c.red(`rollback: the down migrations did NOT restore the starting schema`));
      const failed = rb.migrations.flatMap((m) => m.statements).find((s) => s.error);
      if (failed?.error) out.push(c.red(`  ${fileLine(failed.error.file, failed.error.line)}: ${failed.error.sqlstate} ${failed.error.message}`));
      for (const line of diffLines(rb.diff).slice(0, 12)) out.push(`  ${line}`);
    }
    for (const w of rb.dataLoss) out.push(c.yellow(`data loss: ${w.message} (${fileLine(w.file, w.line)})`));
  }
  if (report.drift) {
    out.push(report.drift.drifted ? c.yellow('drift: the database differs from what the migrations build') : c.green('drift: none'));
    for (const line of diffLines(report.drift.diff).slice(0, 12)) out.push(`  ${line}`);
  }
  const ex = report.expectedSchema;
  if (ex) {
    out.push(ex.matches ? c.green(`expected schema: matches ${ex.file}`) : c.red(`expected schema: differs from ${ex.file}`));
    for (const line of diffLines(ex.diff).slice(0, 12)) out.push(`  ${line}`);
  }
  return out;
}

function diffLines(d: NonNullable<Report['schemaDiff']>): string[] {
  const name = (key: string) => key.replace(/^[a-z_]+:/, '');
  return [
    ...d.added.map((o) => `+ ${o.kind} ${name(o.object)}${o.definition ? `: ${o.definition}` : ''}`),
    ...d.removed.map((o) => `- ${o.kind} ${name(o.object)}${o.definition ? `: ${o.definition}` : ''}`),
    ...d.changed.map((ch) => `~ ${ch.kind} ${name(ch.object)} ${ch.attribute}: ${JSON.stringify(ch.before)} → ${JSON.stringify(ch.after)}`),
  ];
}

function blockedCell(s: ReportStatement, c: { red: Paint; yellow: Paint }): string {
  const parts: string[] = [];
  if (s.blockedQueries) {
    const text = `${s.blockedQueries} × max ${ms(s.maxBlockedMs ?? 0)}`;
    parts.push((s.maxBlockedMs ?? 0) >= 1000 ? c.red(text) : (s.maxBlockedMs ?? 0) >= 100 ? c.yellow(text) : text);
  }
  if (s.lockWaitMs) parts.push(`waited ${ms(s.lockWaitMs)}`);
  if (s.attempts) parts.push(`${s.attempts} attempts`);
  return parts.join('\n');
}

/** Latency per app query, the worst waits, the compatibility matrix and the rollout. */
function trafficLines(report: Report, c: { red: Paint; yellow: Paint; green: Paint }, width: number): string[] {
  const w = report.workload;
  if (!w) return [];
  const out: string[] = [];
  const t = new Table({ head: ['app', 'query', 'count', 'errors', 'p50 base', 'p99 base', 'p99 during', 'max'], style: { head: [], border: [] } });
  for (const app of w.apps) {
    for (const q of app.queries) {
      const base = q.phases.find((p) => p.phase === 'baseline');
      const during = q.phases.filter((p) => p.phase !== 'baseline' && p.phase !== 'after');
      const p99During = Math.max(0, ...during.map((p) => p.p99Ms ?? 0));
      const errors = Object.entries(q.errors)
        .map(([k, n]) => `${k}×${n}`)
        .join(' ');
      // a log's statement: its normalized text beside its name
      const name = q.text ? oneLineFit(`${q.name} ${q.text.replace(/\s+/g, ' ')}`, 40) : q.name;
      t.push([app.name, name, String(q.count), errors ? c.red(errors) : '', fmt(base?.p50Ms), fmt(base?.p99Ms), fmt(p99During), fmt(q.maxMs)]);
    }
  }
  out.push('application traffic (' + w.file + '):', t.toString());
  if (w.replay) out.push(...replayLines(w.replay, c));
  // one line per blocked query and statement: how many executions waited, the longest, the total
  const groups = groupBlocking(report.blocking.filter((b) => b.app !== 'migration'));
  for (const g of groups.slice(0, 5)) {
    const st = `migration ${g.migrationId} statement ${(g.statementIndex ?? 0) + 1}`;
    const by = g.blockerKind === 'migration' ? st : `${g.rootBlocker}${g.migrationId ? ` (queued behind ${st})` : ''}`;
    const times = g.count > 1 ? ` ${g.count}× (longest ${ms(g.longestMs)}, ${ms(g.totalMs)} in all)` : ` ${ms(g.longestMs)}`;
    out.push(c.yellow(oneLineFit(`blocked: ${g.app}/${g.query} waited${times} on ${g.relation ?? '?'} (${g.mode ?? '?'}), root blocker ${by}`, width)));
  }
  if (groups.length > 5) out.push(`  … ${groups.length - 5} more blocked queries in report.json`);
  const m = report.compatibility;
  if (m) {
    const ct = new Table({ head: ['app', ...m.states], style: { head: [], border: [] } });
    for (const app of m.apps) {
      ct.push([
        `${app.name} (${app.role})`,
        ...m.states.map((st) => (m.cells.find((x) => x.state === st && x.app === app.name)?.ok ? c.green('✓') : c.red('✗'))),
      ]);
    }
    out.push('compatibility (schema state × app version):', ct.toString());
    if (m.rollout) out.push((m.rollout.safe ? c.green : c.red)(`rollout: ${m.rollout.summary}`));
    const firstFail = m.cells.find((x) => !x.ok);
    if (firstFail?.failures[0]) {
      const f = firstFail.failures[0];
      out.push(`  first failure: ${firstFail.app} at ${firstFail.state}: ${f.query} ${f.sqlstate} ${f.message}`);
    }
  }
  return out;
}

/** --replay-log: how much of the log was replayed, how late, and the warning when it fell behind. */
function replayLines(r: NonNullable<NonNullable<Report['workload']>['replay']>, c: { red: Paint; yellow: Paint }): string[] {
  const lag = r.lag
    ? `; lag p50 ${fmt(r.lag.p50Ms)}, p99 ${fmt(r.lag.p99Ms)}, max ${fmt(r.lag.maxMs)}, ${Math.round((r.lag.within10Ms ?? 0) * 100)} % within 10 ms`
    : '';
  const errors = Object.entries(r.errors)
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
  const out = [
    `log replay (${r.format}, ${r.speed === 0 ? 'as fast as possible' : `speed ${r.speed}`}): ${r.replayed} of ${r.statements} statements in ${r.sessions.length} sessions${lag}${errors ? `; errors ${errors}` : ''}`,
  ];
  if (r.unreadable.first)
    out.push(c.yellow(`  ${r.unreadable.count} log entries unreadable (first: line ${r.unreadable.first.line}: ${r.unreadable.first.why})`));
  if (r.behind) out.push(c.red(`  ${r.behind}`));
  return out;
}

/** A line cut to the terminal's width. */
const oneLineFit = (line: string, width: number) => (line.length > width ? line.slice(0, width - 1) + '…' : line);

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '' : ms(v));

/** --suggest: before vs after, and where the suggested migrations are. */
function suggestionLines(report: Report, width: number, red: (s: string) => string): string[] {
  const rows = suggestionRows(report);
  const s = report.suggestion;
  if (!s || !rows.length) return [];
  const failed = suggestionFailureText(report);
  const t = new Table({ head: ['--suggest', 'before', failed ? 'after (partial)' : 'after'], style: { head: [], border: [] } });
  for (const r of rows) t.push([r.label, r.before, r.after]);
  const head = `suggested: ${s.rewrites.length} rewrite${s.rewrites.length === 1 ? '' : 's'} in ${s.folder} (rehearsed: ${s.status}; its report ${s.report})`;
  // a failed rehearsal leads: the failure, its cause, then the figures of the part that ran, labelled so
  const lead = failed ? [red(failed.head), ...failed.details.map((d) => `  ${d}`), failed.partial] : [];
  return [...lead, oneLineFit(head, width), t.toString()];
}
