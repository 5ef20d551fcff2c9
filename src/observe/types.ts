/**
 * The observe stage's data: what the sampler saw in pg_stat_activity, the blocking intervals made
 * of it, and the blocking attributed to migration statements and application queries.
 */

/** Who a backend is, read from its application_name (see names.ts). */
export type BackendKind = 'migration' | 'app' | 'probe' | 'other';

export interface Backend {
  pid: number;
  applicationName: string;
  /** pg_stat_activity.backend_type ('client backend', 'autovacuum worker', …); null when not seen */
  backendType: string | null;
  kind: BackendKind;
  /** app and query for kind 'app' / 'probe' (query null when the backend was not tagged with one) */
  app: string | null;
  query: string | null;
}

/** One backend in one sample (times are epoch ms on the tool's clock). */
export interface ActivityRow {
  pid: number;
  applicationName: string;
  backendType: string | null;
  state: string | null;
  waitEventType: string | null;
  waitEvent: string | null;
  /** pg_blocking_pids(pid) for backends waiting on a lock, else null */
  blockers: number[] | null;
  queryStart: number | null;
  stateChange: number | null;
  xactStart: number | null;
  /** the lock it waits for (pg_locks, not granted) */
  relation: string | null;
  mode: string | null;
  locktype: string | null;
}

export interface ActivitySample {
  /** when pg_stat_activity was read, epoch ms on the tool's clock */
  t: number;
  /** backends waiting on a lock, their blockers, and backends that waited in the previous sample */
  rows: ActivityRow[];
}

/** A backend waited for a lock, held or queued ahead of it, with the same root blocker throughout. */
export interface BlockingInterval {
  blocked: Backend;
  /** the first pid pg_blocking_pids() named when the wait was first seen */
  directBlocker: Backend;
  /** following pg_blocking_pids() until a backend that is not itself waiting (the lock queue counts:
   *  reads queued behind a waiting ALTER have the ALTER as direct blocker and its blocker as root) */
  rootBlocker: Backend;
  relation: string | null;
  mode: string | null;
  locktype: string | null;
  waitEventType: string | null;
  waitEvent: string | null;
  /** epoch ms: the blocked query's start when it began after the previous sample, else the
   *  midpoint between the two samples; end likewise from the next query's start or the state change */
  startedAt: number;
  endedAt: number;
  durationMs: number;
  /** samples that saw this wait */
  samples: number;
  /** still waiting when the sampler stopped (endedAt is the last sample) */
  ongoing: boolean;
  /** query_start of the waiting query */
  queryStart: number | null;
}

export interface SamplerStats {
  samples: number;
  /** mean and largest time between consecutive samples: the precision actually achieved */
  meanIntervalMs: number | null;
  maxIntervalMs: number | null;
  errors: number;
}
