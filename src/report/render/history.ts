import { lockStrength } from '../model/locks.ts';
import type { Report, ReportMigration, ReportStatement } from '../model/types.ts';
import { baseLine, fileLine, fmtMs, lockName, oneLine } from '../format/text.ts';

/**
 * A long history (a fresh install replays hundreds of migrations) summarised instead of listed:
 * the slowest statements, the strongest locks (by mode, then by how long they were held) and every
 * failure. The terminal prints this instead of its per-statement table; the Markdown puts it before
 * its (size-limited) migration table.
 */

/** From this many migrations on, a run's history is summarised. */
export const LONG_HISTORY = 40;
const TOP = 10;

interface Ref {
  m: ReportMigration;
  s: ReportStatement;
}

export interface HistorySummary {
  migrations: number;
  statements: number;
  totalMs: number;
  /** mean wall time of a migration */
  perMigrationMs: number;
  slowest: Ref[];
  strongest: Ref[];
  failures: { m: ReportMigration; s: ReportStatement | undefined }[];
}

export function summariseHistory(report: Report): HistorySummary {
  const all: Ref[] = report.migrations.flatMap((m) => m.statements.map((s) => ({ m, s })));
  const totalMs = report.migrations.reduce((t, m) => t + m.durationMs, 0);
  const strength = (r: Ref) => Math.max(-1, ...r.s.strongestLocks.map((l) => lockStrength(l.mode)));
  return {
    migrations: report.migrations.length,
    statements: all.length,
    totalMs,
    perMigrationMs: report.migrations.length ? totalMs / report.migrations.length : 0,
    slowest: [...all].sort((a, b) => b.s.durationMs - a.s.durationMs).slice(0, TOP),
    strongest: all
      .filter((r) => r.s.strongestLocks.length > 0)
      .sort((a, b) => strength(b) - strength(a) || b.s.lockHeldMs - a.s.lockHeldMs)
      .slice(0, TOP),
    failures: report.migrations.filter((m) => m.status === 'failed').map((m) => ({ m, s: m.statements.find((s) => s.error) })),
  };
}

const where = (r: { s: ReportStatement }) => fileLine(r.s.file, r.s.line);
const strongestOf = (s: ReportStatement) => [...s.strongestLocks].sort((a, b) => lockStrength(b.mode) - lockStrength(a.mode))[0];

/** Plain lines for the terminal. */
export function historyLines(h: HistorySummary): string[] {
  const out = [`${h.migrations} migrations, ${h.statements} statements in ${fmtMs(h.totalMs)} (${fmtMs(h.perMigrationMs)} per migration)`];
  out.push('slowest statements:');
  for (const r of h.slowest) out.push(`  ${fmtMs(r.s.durationMs).padStart(8)}  ${where(r)}  ${oneLine(r.s.sql, 60)}`);
  if (h.strongest.length) {
    out.push('strongest locks:');
    for (const r of h.strongest) {
      const l = strongestOf(r.s)!;
      out.push(`  ${lockName(l.mode)} on ${l.relation}, held ${fmtMs(r.s.lockHeldMs)}  ${where(r)}`);
    }
  }
  for (const f of h.failures)
    out.push(
      `failed: ${f.m.id} ${f.m.name}${f.s?.error ? ` at ${fileLine(f.s.error.file, f.s.error.line)}: ${f.s.error.message}` : f.m.verify?.error ? ` (verify ${fileLine(f.m.verify.error.file, f.m.verify.error.line)}: ${f.m.verify.error.message})` : ''}`,
    );
  return out;
}

/** A Markdown section; `cell` escapes text for a table cell, `code` formats code in one. */
export function historyMarkdown(h: HistorySummary, cell: (s: string) => string, code: (s: string) => string): string {
  const base = (r: Ref) => code(baseLine(r.s.file, r.s.line));
  const lines = [
    `### History\n\n${h.migrations} migrations, ${h.statements} statements in ${fmtMs(h.totalMs)} (${fmtMs(h.perMigrationMs)} per migration).\n\n`,
    '| slowest statements | duration | where |\n|---|---|---|\n',
    ...h.slowest.map((r) => `| ${code(oneLine(r.s.sql, 60))} | ${fmtMs(r.s.durationMs)} | ${code(r.m.id)} ${base(r)} |\n`),
    '\n',
  ];
  if (h.strongest.length) {
    lines.push('| strongest locks | held | where |\n|---|---|---|\n');
    for (const r of h.strongest) {
      const l = strongestOf(r.s)!;
      lines.push(`| ${lockName(l.mode)} on ${code(l.relation)} | ${fmtMs(r.s.lockHeldMs)} | ${code(r.m.id)} ${base(r)} |\n`);
    }
    lines.push('\n');
  }
  for (const f of h.failures)
    lines.push(
      `- ❌ ${code(f.m.id)} ${cell(f.m.name)}${f.s?.error ? `: ${cell(f.s.error.message)} at ${code(baseLine(f.s.error.file, f.s.error.line))}` : ''}\n`,
    );
  if (h.failures.length) lines.push('\n');
  return lines.join('');
}
