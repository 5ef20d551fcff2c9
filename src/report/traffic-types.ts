import type { Report, ReportMigration, ReportStatement } from './types.ts';

/**
 * The traffic fields of issue 3 as the renderers, budgets and compare read them. They are not in
 * `Report` yet: everything here is optional, and every section that uses them is left out when a
 * report does not carry them. Once `Report` carries them, `WithTraffic` is just `Report`.
 *
 * Names fixed by the issue: workload.apps[].queries[] {name, count, errors, p50Ms, p95Ms, p99Ms,
 * maxMs}; blocking[]; per statement blockedQueries, maxBlockedMs, totalBlockedMs; compatibility.
 * Marked "extra" below: read when present, not required by the issue.
 */

export interface TrafficBucket {
  /** epoch ms (the clock of the statements' startedAt) */
  t: number;
  count: number;
  errors: number;
  p99Ms: number | null;
}

export interface TrafficQuery {
  name: string;
  count: number;
  /** SQLSTATE → count */
  errors: Record<string, number>;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** extra: latency per phase ('baseline', `${migrationId}#${statementIndex}`, 'after') */
  phases?: { phase: string; count: number; p99Ms: number | null }[];
  /** extra: executions per second (p99 and errors per bucket), for the HTML timeline */
  timeline?: { bucketMs: number; buckets: TrafficBucket[] };
}

export interface TrafficApp {
  name: string;
  /** extra: old, new or other */
  role?: string;
  queries: TrafficQuery[];
}

export interface BlockingRecord {
  app: string;
  query: string;
  blockerKind: 'migration' | 'app' | 'other';
  migrationId: string | null;
  statementIndex: number | null;
  rootBlocker: string;
  waitMs: number;
  /** epoch ms (an ISO 8601 text is accepted too) */
  startedAt: number | string;
  /** extra: 'holds' (root), 'queued' (ahead of the blocked query), 'waits' (the migration waited) */
  migrationRole?: string | null;
}

export interface CompatFailure {
  query: string;
  sqlstate: string;
  message: string;
}

export interface CompatRollout {
  safe: boolean;
  beforeDeploy: string[];
  whileBoth: string[];
  afterOldGone: string[];
  breaksBoth: string[];
  summary: string;
}

export interface Compatibility {
  /** the initial state first, then one per migration (its id) */
  states: string[];
  apps: (string | { name: string; role?: string })[];
  cells: { state: string; app: string; ok: boolean; failures: CompatFailure[] }[];
  oldAppLastState: string | null;
  newAppFirstState: string | null;
  rollout: CompatRollout | string | null;
}

export interface StatementTraffic {
  blockedQueries?: number;
  maxBlockedMs?: number;
  totalBlockedMs?: number;
}

export type TrafficStatement = ReportStatement & StatementTraffic;
export type TrafficMigration = Omit<ReportMigration, 'statements'> & { statements: TrafficStatement[] };

export type WithTraffic = Omit<Report, 'migrations' | 'workload' | 'blocking' | 'compatibility'> & {
  migrations: TrafficMigration[];
} & Partial<{
    workload: { apps: TrafficApp[] } | null;
    blocking: BlockingRecord[] | null;
    compatibility: Compatibility | null;
  }>;

/** The name of an app in compatibility.apps (a string or {name}). */
export const appName = (a: string | { name: string }): string => (typeof a === 'string' ? a : a.name);

/** Epoch ms of an ISO time or an epoch number. */
export const epochOf = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));
