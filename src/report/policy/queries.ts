import type { BlockingEntry } from '../../analyze/index.ts';
import type { Report, ReportMigration, ReportStatement } from '../model/types.ts';

/**
 * Questions asked of a report by the budgets, the comparison and the renderers alike: all
 * statements, the worst lock hold, the longest wait an application suffered, the verdict.
 * A report without a workload has `workload: null`, `blocking: []`, `compatibility: null`, and its
 * statements carry no blockedQueries.
 */

/** The name of an app in compatibility.apps. */
export const appName = (a: { name: string }): string => a.name;

/** Epoch ms of an ISO time or an epoch number. */
export const epochOf = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));

/** Statements of the ups, with their migration, in replay order. */
export function allStatements(report: Report): { m: ReportMigration; s: ReportStatement }[] {
  return report.migrations.flatMap((m) => m.statements.map((s) => ({ m, s })));
}

/** The statement whose lock hold was longest in a migration (null: none held a lock). */
export function worstLockHold(m: ReportMigration): ReportStatement | null {
  let best: ReportStatement | null = null;
  for (const s of m.statements) if (s.lockHeldMs > 0 && (best === null || s.lockHeldMs > best.lockHeldMs)) best = s;
  return best;
}

/** Application waits caused by a migration statement (not the migration's own waits). */
export function appWaits(report: Report): BlockingEntry[] {
  return (report.blocking ?? []).filter((b) => b.app !== 'migration' && b.migrationId !== null);
}

/** The longest application wait a statement caused: per-statement figure first, else the blocking list. */
export function longestBlocking(report: Report, m: ReportMigration, s: ReportStatement): { ms: number; who: string | null } | null {
  const waits = appWaits(report).filter((b) => b.migrationId === m.id && b.statementIndex === s.index);
  const worst = waits.reduce<BlockingEntry | null>((w, b) => (w === null || b.waitMs > w.waitMs ? b : w), null);
  const ms = s.maxBlockedMs ?? worst?.waitMs ?? 0;
  if (ms <= 0) return null;
  return { ms, who: worst ? `${worst.app}/${worst.query}` : null };
}

/** The longest application wait per migration. */
export function longestBlockingOf(report: Report, m: ReportMigration): { s: ReportStatement; ms: number; who: string | null } | null {
  let best: { s: ReportStatement; ms: number; who: string | null } | null = null;
  for (const s of m.statements) {
    const b = longestBlocking(report, m, s);
    if (b && (best === null || b.ms > best.ms)) best = { s, ...b };
  }
  return best;
}

/** Whether the report carries traffic (a workload ran). */
export function hasTraffic(report: Report): boolean {
  return Boolean(report.workload) || (report.blocking?.length ?? 0) > 0 || Boolean(report.compatibility);
}

/** The run's time origin: the epoch ms at which offsetMs is 0 (first statement's start). */
export function timeOrigin(report: Report): number | null {
  for (const { s } of allStatements(report)) {
    const t = Date.parse(s.startedAt);
    if (Number.isFinite(t)) return t - s.offsetMs;
  }
  return null;
}

export const blockingStart = (b: BlockingEntry): number => epochOf(b.startedAt);

/** The compatibility matrix as rows: one per state, ok or the failing queries per app. */
export function compatRows(
  report: Report,
): { state: string; cells: { app: string; ok: boolean; failures: { query: string; sqlstate: string; message: string }[] }[] }[] {
  const c = report.compatibility;
  if (!c) return [];
  const apps = c.apps.map(appName);
  return c.states.map((state) => ({
    state,
    cells: apps.map((app) => {
      const cell = c.cells.find((x) => x.state === state && x.app === app);
      return { app, ok: cell?.ok ?? false, failures: cell?.failures ?? [] };
    }),
  }));
}

export function rolloutText(report: Report): string | null {
  const r = report.compatibility?.rollout;
  if (!r) return null;
  return typeof r === 'string' ? r : r.summary;
}

export type VerdictStatus = 'pass' | 'fail' | 'error';

/** The report's verdict; a report written before budgets existed gets one from its run status. */
export function verdictOf(report: Report): { status: VerdictStatus; reasons: string[] } {
  if (report.verdict) return report.verdict;
  const status = report.run.status === 'passed' ? 'pass' : report.run.status === 'failed' ? 'fail' : 'error';
  return { status, reasons: report.run.error ? [report.run.error.message] : [] };
}
