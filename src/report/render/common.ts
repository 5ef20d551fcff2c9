import path from 'node:path';
import { maskSecrets, stripRowData } from '../../util/mask.ts';
import { LOCK_BLOCKS, lockStrength } from '../locks.ts';
import type { SchemaDiff } from '../../schema/types.ts';
import { appName, epochOf, type BlockingRecord, type TrafficMigration, type TrafficStatement, type WithTraffic } from '../traffic-types.ts';

/**
 * What the Markdown, HTML and JUnit renderers share. Everything here is a pure function of the
 * report: no clock, no locale, no environment, so a saved report renders to the same bytes.
 */

/** 0.7 ms, 312 ms, 12.3 s, 4.2 min */
export function fmtMs(v: number): string {
  if (v >= 120_000) return `${(v / 60_000).toFixed(1)} min`;
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1) return `${Math.round(v)} ms`;
  return `${v.toFixed(1)} ms`;
}

/** 185287 → 185,287 (no locale: the same bytes everywhere) */
export function fmtInt(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} kiB`;
  return `${n} B`;
}

/** +42 %, -10 %; a growth over 10× as ×N (×9000, not +899900 %) */
export function fmtPct(p: number | null): string {
  if (p === null) return 'new';
  const ratio = 1 + p / 100;
  if (ratio > 10) return `×${ratio >= 100 ? fmtInt(ratio) : ratio.toFixed(0)}`;
  return `${p >= 0 ? '+' : ''}${Math.round(p)} %`;
}

/** Secrets masked and quoted row values cut out: every text a renderer shows goes through it. */
export const clean = (text: string): string => maskSecrets(stripRowData(text));

/** One line of SQL, cut to `max` characters. */
export function oneLine(sql: string, max = 80): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export const lockName = (mode: string): string => mode.replace(/Lock$/, '');

/** A mode that makes application reads or writes wait: ShareLock and stronger. */
export const blocksApps = (mode: string): boolean => lockStrength(mode) >= lockStrength('ShareLock');

export const lockEffect = (mode: string): string => LOCK_BLOCKS[mode] ?? '';

/** Where a statement is: file:line, or — in command mode, where statements come from no file — the command. */
export const fileLine = (file: string, line: number | null): string => (file ? `${file}${line !== null ? `:${line}` : ''}` : 'the migration command');
export const baseLine = (file: string, line: number | null): string => (file ? fileLine(path.basename(file), line) : fileLine(file, line));

/** Statements of the ups, with their migration, in replay order. */
export function allStatements(report: WithTraffic): { m: TrafficMigration; s: TrafficStatement }[] {
  return report.migrations.flatMap((m) => m.statements.map((s) => ({ m, s })));
}

/** The statement whose lock hold was longest in a migration (null: none held a lock). */
export function worstLockHold(m: TrafficMigration): TrafficStatement | null {
  let best: TrafficStatement | null = null;
  for (const s of m.statements) if (s.lockHeldMs > 0 && (best === null || s.lockHeldMs > best.lockHeldMs)) best = s;
  return best;
}

/** Application waits caused by a migration statement (not the migration's own waits). */
export function appWaits(report: WithTraffic): BlockingRecord[] {
  return (report.blocking ?? []).filter((b) => b.app !== 'migration' && b.migrationId !== null);
}

/** The longest application wait a statement caused: per-statement figure first, else the blocking list. */
export function longestBlocking(report: WithTraffic, m: TrafficMigration, s: TrafficStatement): { ms: number; who: string | null } | null {
  const waits = appWaits(report).filter((b) => b.migrationId === m.id && b.statementIndex === s.index);
  const worst = waits.reduce<BlockingRecord | null>((w, b) => (w === null || b.waitMs > w.waitMs ? b : w), null);
  const ms = s.maxBlockedMs ?? worst?.waitMs ?? 0;
  if (ms <= 0) return null;
  return { ms, who: worst ? `${worst.app}/${worst.query}` : null };
}

/** The longest application wait per migration. */
export function longestBlockingOf(report: WithTraffic, m: TrafficMigration): { s: TrafficStatement; ms: number; who: string | null } | null {
  let best: { s: TrafficStatement; ms: number; who: string | null } | null = null;
  for (const s of m.statements) {
    const b = longestBlocking(report, m, s);
    if (b && (best === null || b.ms > best.ms)) best = { s, ...b };
  }
  return best;
}

/** Whether the report carries traffic (a workload ran). */
export function hasTraffic(report: WithTraffic): boolean {
  return Boolean(report.workload) || (report.blocking?.length ?? 0) > 0 || Boolean(report.compatibility);
}

/** The run's time origin: the epoch ms at which offsetMs is 0 (first statement's start). */
export function timeOrigin(report: WithTraffic): number | null {
  for (const { s } of allStatements(report)) {
    const t = Date.parse(s.startedAt);
    if (Number.isFinite(t)) return t - s.offsetMs;
  }
  return null;
}

export const blockingStart = (b: BlockingRecord): number => epochOf(b.startedAt);

export function diffLines(d: SchemaDiff): string[] {
  const name = (key: string) => key.replace(/^[a-z_]+:/, '');
  return [
    ...d.added.map((o) => `+ ${o.kind} ${name(o.object)}${o.definition ? `: ${o.definition}` : ''}`),
    ...d.removed.map((o) => `- ${o.kind} ${name(o.object)}${o.definition ? `: ${o.definition}` : ''}`),
    ...d.changed.map((ch) => `~ ${ch.kind} ${name(ch.object)} ${ch.attribute}: ${JSON.stringify(ch.before)} → ${JSON.stringify(ch.after)}`),
  ];
}

export function diffCounts(d: SchemaDiff): string {
  return `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`;
}

/** The compatibility matrix as rows: one per state, ok or the failing queries per app. */
export function compatRows(report: WithTraffic): { state: string; cells: { app: string; ok: boolean; failures: { query: string; sqlstate: string; message: string }[] }[] }[] {
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

export function rolloutText(report: WithTraffic): string | null {
  const r = report.compatibility?.rollout;
  if (!r) return null;
  return typeof r === 'string' ? r : r.summary;
}

/** The one-line headline of the run. */
export function headline(report: WithTraffic): string {
  const pg = report.postgres ? `PostgreSQL ${report.postgres.version} (${report.postgres.provider})` : 'PostgreSQL not started';
  const ds = report.dataset;
  const data = ds ? `dataset: ${ds.tables.length} tables, ${fmtInt(ds.tables.reduce((t, x) => t + x.rows, 0))} rows` : 'no dataset';
  const s = report.summary;
  return `${pg} · ${data} · ${s.applied} applied, ${s.failed} failed, ${s.skipped} skipped · ${s.statements} statements · ${s.rewrites} rewrites · ${fmtMs(s.totalDurationMs)} of migrations`;
}

export type VerdictStatus = 'pass' | 'fail' | 'error';

/** The report's verdict; a report written before budgets existed gets one from its run status. */
export function verdictOf(report: WithTraffic): { status: VerdictStatus; reasons: string[] } {
  if (report.verdict) return report.verdict;
  const status = report.run.status === 'passed' ? 'pass' : report.run.status === 'failed' ? 'fail' : 'error';
  return { status, reasons: report.run.error ? [report.run.error.message] : [] };
}

/** A report's files in a folder (the names `rehearse run` writes). */
export const FILE_NAMES = { json: 'report.json', md: 'report.md', html: 'report.html', junit: 'junit.xml', sarif: 'report.sarif' } as const;
