import path from 'node:path';
import Table from 'cli-table3';
import type { Report, ReportStatement } from '../types.ts';

export interface TerminalOptions {
  color?: boolean;
  /** terminal width; statements are cut to fit */
  width?: number;
}

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

  const pgLine = report.postgres
    ? `PostgreSQL ${report.postgres.version} (${report.postgres.provider})`
    : 'PostgreSQL: not started';
  const ds = report.dataset;
  const dataLine = ds
    ? `dataset: ${ds.tables.length} tables, ${ds.tables.reduce((t, x) => t + x.rows, 0).toLocaleString('en-US')} rows, loaded in ${ms(ds.loadMs)}`
    : 'dataset: not loaded';
  out.push(bold('pg-rehearse') + ` — ${pgLine}; ${dataLine}`);

  if (report.migrations.length > 0) {
    const sqlWidth = Math.max(24, Math.min(60, (options.width ?? 120) - 90));
    const table = new Table({
      head: ['#', 'statement', 'duration', 'strongest lock per table', 'lock held', 'rewritten'],
      style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
      wordWrap: true,
    });
    for (const m of report.migrations) {
      const status = m.status === 'applied' ? green(m.status) : m.status === 'failed' ? red(m.status) : yellow(m.status);
      table.push([{ colSpan: 6, content: bold(`${m.id} ${m.name}`) + `  ${status}  ${ms(m.durationMs)}  ${path.basename(m.file)}` }]);
      for (const s of m.statements) table.push(statementRow(s, sqlWidth, { red, yellow }));
    }
    out.push(table.toString());
  }

  const s = report.summary;
  const parts = [`${s.applied} applied`, `${s.failed} failed`, `${s.skipped} skipped`, `${s.statements} statements`, `${s.rewrites} rewrites`];
  out.push(parts.join(', ') + (report.migrations.length === 0 && report.migrationSource ? ' — nothing pending' : ''));
  if (s.longestLockHold) {
    out.push(`longest lock hold: ${ms(s.longestLockHold.ms)} at ${s.longestLockHold.file}:${s.longestLockHold.line}`);
  }
  const failed = report.migrations.flatMap((m) => m.statements).find((x) => x.error);
  if (failed?.error) {
    out.push(red(`failed: ${failed.error.file}:${failed.error.line}: ${failed.error.sqlstate} ${failed.error.message}`));
  }
  if (report.run.error) {
    out.push(red(`error: ${report.run.error.message}`) + (report.run.error.hint ? `\n  ${report.run.error.hint}` : ''));
  }
  return out.join('\n');
}

function statementRow(s: ReportStatement, sqlWidth: number, c: { red: (s: string) => string; yellow: (s: string) => string }): string[] {
  const sql = s.sql.replace(/\s+/g, ' ').trim();
  const text = sql.length > sqlWidth ? sql.slice(0, sqlWidth - 1) + '…' : sql;
  const locks = s.strongestLocks.map((l) => {
    const label = `${l.relation}: ${l.mode.replace(/Lock$/, '')}`;
    return l.mode === 'AccessExclusiveLock' ? c.yellow(label) : label;
  });
  return [
    `${s.index + 1} L${s.line}`,
    s.error ? c.red(`${text}\n✗ ${s.error.sqlstate} ${s.error.message}`) : text,
    ms(s.durationMs),
    locks.join('\n') + (s.lockSource === 'sampled' && locks.length ? ' (sampled)' : ''),
    s.lockHeldMs > 0 ? ms(s.lockHeldMs) : '',
    s.rewrites.map((r) => r.relation).join('\n'),
  ];
}
