/**
 * The traffic stage's data: what a workload file says (validated), and what running it measured.
 * See docs/workload.md for the file format.
 */

// ─── the workload, as validated ───────────────────────────────────────────────────────────────

/** A value a parameter can take (sampled values come back as text and are sent as text). */
export type ParamValue = string | number | boolean | null;

/** How one `$n` parameter gets its value for each execution. */
export type ParamSpec =
  | { kind: 'const'; value: ParamValue }
  /** uniform integer in [lo, hi] */
  | { kind: 'int'; lo: number; hi: number }
  /** uniform pick from a list */
  | { kind: 'pick'; values: ParamValue[] }
  /** an existing value of a column, sampled once when traffic starts (as text) */
  | { kind: 'sample'; relation: string; column: string; key: string }
  | { kind: 'uuid' }
  /** random alphanumeric text of this length */
  | { kind: 'text'; length: number }
  /** the value of a per-execution variable (pgbench `:name`, workload `vars`) */
  | { kind: 'var'; name: string };

export type RowsOp = '>=' | '<=' | '>' | '<' | '=' | '!=';

/** What a result must look like; anything else counts as a failure with the pseudo-SQLSTATE EXPECT. */
export interface Expectation {
  rows?: { op: RowsOp; n: number };
  /** these result columns must be present and non-null in every returned row */
  notNull?: string[];
}

export interface Step {
  sql: string;
  params: ParamSpec[];
  expect?: Expectation;
}

export interface QuerySpec {
  /** unique within its app; [A-Za-z0-9_.-] */
  name: string;
  steps: Step[];
  /** the steps run in one transaction (BEGIN … COMMIT); false: each step on its own (autocommit) */
  transaction: boolean;
  /** variables drawn once per execution, shared by every step (`{ var: name }`) */
  vars: { name: string; spec: ParamSpec }[];
  /** executions per second (open loop); null: closed loop (each client runs the next query as soon as one ends) */
  rate: number | null;
  /** its steps are named prepared statements, prepared once per connection and re-executed (as
   *  drivers and ORMs do); a schema change can then break them (0A000) until the connection re-prepares */
  prepared: boolean;
  /** where it was defined, for messages: 'shop.yaml apps.old.queries[0]' or 'tpcb.sql' */
  source: string;
  /** a log's statement: its normalized text (constants as $n), what the report shows of it */
  text?: string;
  /** false: not probed at each schema state (a log's statements other than one DML statement) */
  probe?: boolean;
  /** values masked in its failure messages (a log's literals: the report carries none) */
  literals?: string[];
}

/** old: the version running before the rollout; new: the one deployed during it. */
export type AppRole = 'old' | 'new' | 'other';

export interface AppSpec {
  name: string;
  role: AppRole;
  /** connections in this app's pool */
  clients: number;
  /** statement_timeout of the app's connections, null: the server's default */
  statementTimeoutMs: number | null;
  /** a connection is closed and replaced once it is this old (at its next release), null: never */
  connectionLifetimeMs: number | null;
  queries: QuerySpec[];
}

/** A long transaction started at an offset: BEGIN; its steps; COMMIT — it holds its locks all along. */
export interface BackgroundSpec {
  name: string;
  app: string;
  steps: Step[];
  vars: { name: string; spec: ParamSpec }[];
  atMs: number;
}

export interface Workload {
  /** the file it was read from (for messages) */
  file: string;
  /** in file order */
  apps: AppSpec[];
  background: BackgroundSpec[];
  /** scheduled sessions (a replayed log's): each on its own connection, its statements at their offsets */
  sessions?: SessionSpec[];
  /** the log the sessions were read from, and how to replay it */
  replay?: ReplaySpec;
}

/**
 * One statement of a scheduled session, as logged: `sql` and `params` carry the log's literals and
 * never leave the traffic stage (reports name the statement by its query, whose text is normalized).
 */
export interface ScheduledStatement {
  /** offset from the start of the log's window, ms (at the original speed) */
  atMs: number;
  sql: string;
  /** extended protocol: the bound parameters as logged (text, null for NULL); null: simple protocol */
  params: (string | null)[] | null;
  /** index of its query (its normalized statement) in the session's app */
  query: number;
  /** where it was logged (1-based line of the log) */
  line: number;
}

/** A session of a captured log: one connection, its statements in order at their offsets. */
export interface SessionSpec {
  /** unique, [A-Za-z0-9_.-]: the connection's application_name is rehearse/app/<app>/<name> */
  name: string;
  /** the app it counts under (one of workload.apps, with no clients of its own) */
  app: string;
  /** when it connected, ms from the start of the log's window (0 when it connected before) */
  atMs: number;
  /** when it disconnected (or its last statement), ms from the start of the log's window */
  endMs: number;
  user: string;
  application: string | null;
  statements: ScheduledStatement[];
}

/** What a log source read, and how the driver replays it. */
export interface ReplaySpec {
  file: string;
  format: 'stderr' | 'csvlog' | 'jsonlog';
  /** offsets are divided by it; 0: every session's statements back to back, as fast as possible */
  speed: number;
  /** span of the log's window (first to last statement), ms at the original speed */
  windowMs: number;
  lines: number;
  /** lines (entries) read but not replayed, by reason: other database, the tool's own sessions, … */
  skipped: Record<string, number>;
  /** entries that could not be read: how many, and the first one's line and why */
  unreadable: { count: number; first: { line: number; why: string } | null };
}

// ─── what running it measured ─────────────────────────────────────────────────────────────────

/**
 * Latency and outcomes of the executions of one query (or of one phase of it). Latencies are of
 * every finished execution, ok or failed, in milliseconds; null when there was none.
 */
export interface LatencySummary {
  /** finished executions, ok or failed */
  count: number;
  ok: number;
  /** SQLSTATE → count; pseudo-states: EXPECT (expectation failed), CLIENT (connection/driver error) */
  errors: Record<string, number>;
  /** failures that were timeouts: 57014 (statement_timeout, cancel), 55P03 (lock_timeout) */
  timeouts: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
}

export interface PhaseLatency extends LatencySummary {
  phase: string;
}

/** Distinct failures of a query, first seen first (at most 20 kept). */
export interface FailureSample {
  sqlstate: string;
  message: string;
  count: number;
}

/** Executions that completed during [t, t + bucketMs) (completion time, like pgbench --progress). */
export interface TimelineBucket {
  /** epoch ms (same clock as the replay's statement times) */
  t: number;
  count: number;
  errors: number;
  /** p99 of the bucket; for a bucket merged from two, the larger of the two (an upper bound) */
  p99Ms: number | null;
  maxMs: number | null;
}

/** Per-second buckets; on a long run adjacent buckets are merged (bucketMs doubles) to stay bounded. */
export interface Timeline {
  bucketMs: number;
  buckets: TimelineBucket[];
}

export interface QueryResult extends LatencySummary {
  name: string;
  /** a log's statement: its normalized text */
  text?: string;
  rate: number | null;
  /** open loop only: executions not issued because too many were already waiting for a connection */
  dropped: number;
  failures: FailureSample[];
  /** in the order the phases were first marked */
  phases: PhaseLatency[];
  timeline: Timeline;
}

export interface AppResult {
  name: string;
  role: AppRole;
  clients: number;
  queries: QueryResult[];
}

export interface BackgroundResult {
  name: string;
  app: string;
  atMs: number;
  /** null when it never started (the traffic stopped before its offset) */
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  ok: boolean;
  sqlstate?: string;
  message?: string;
}

export interface PhaseSpan {
  name: string;
  startedAt: number;
  endedAt: number;
}

export interface TrafficResult {
  /** epoch ms */
  startedAt: number;
  endedAt: number;
  phases: PhaseSpan[];
  apps: AppResult[];
  background: BackgroundResult[];
  /** --replay-log: how the log's sessions were replayed */
  replay?: ReplayResult;
}

/** Lag of statements behind their schedule (start − logged offset ÷ speed), ms. */
export interface LagSummary {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** share of the statements that started within 10 ms of their time (null: none, or --replay-speed 0) */
  within10Ms: number | null;
}

/** One replayed session of the log. */
export interface SessionResult {
  name: string;
  app: string;
  /** as logged (an application_name is not a row value) */
  user: string;
  application: string | null;
  /** its statements in the log, and how many were run before the traffic stopped */
  statements: number;
  replayed: number;
  /** SQLSTATE (or CLIENT) → count */
  errors: Record<string, number>;
  /** null at --replay-speed 0 (no schedule) */
  lag: LagSummary | null;
}

export interface ReplayResult {
  file: string;
  format: ReplaySpec['format'];
  speed: number;
  windowMs: number;
  lines: number;
  skipped: Record<string, number>;
  unreadable: ReplaySpec['unreadable'];
  statements: number;
  replayed: number;
  errors: Record<string, number>;
  /** every statement's lag, and the baseline's alone (before the first migration: the replay's own pace) */
  lag: LagSummary | null;
  baselineLag: LagSummary | null;
  /** set when the replay fell behind its schedule before any migration ran: figures understate production */
  behind: string | null;
  sessions: SessionResult[];
}

export interface TrafficRun {
  /** epoch ms when the traffic started (background offsets count from here by default) */
  readonly startedAt: number;
  /** a log's sessions: resolves once every one has run its statements and disconnected */
  readonly sessionsDone?: Promise<void>;
  /** executions issued from now on count in this phase: 'baseline' (the default), then one per
   *  statement (phaseName(migrationId, statementIndex)), then 'after' */
  markPhase(name: string): void;
  /** stop issuing, wait for what is in flight (cancelling it after drainMs), close the pools */
  stop(): Promise<TrafficResult>;
}

// ─── probes and the compatibility matrix ─────────────────────────────────────────────────────

export interface ProbeFailure {
  query: string;
  /** SQLSTATE, or EXPECT (expectation failed), SAMPLE (no value to sample), CLIENT */
  sqlstate: string;
  message: string;
}

export type ProbeResult =
  | { app: string; query: string; ok: true; ms: number }
  | ({
      app: string;
      ok: false;
      ms: number;
      /** a prepared query that failed on the app's long-lived connection and passed on a fresh one:
       *  the break heals when the app's connections re-prepare (restart, connectionLifetime) */
      healsOnReconnect?: boolean;
    } & ProbeFailure);

export interface CompatibilityCell {
  state: string;
  app: string;
  ok: boolean;
  failures: ProbeFailure[];
}

export interface Rollout {
  /** a state exists where the old and the new app both work */
  safe: boolean;
  /** run these before deploying the new app (the new app needs them) */
  beforeDeploy: string[];
  /** these can run before or after the deploy, while both versions run */
  whileBoth: string[];
  /** run these only once the old app is gone (they break it) */
  afterOldGone: string[];
  /** when not safe: the migrations across which neither version keeps working */
  breaksBoth: string[];
  /** one or two sentences for people */
  summary: string;
}

export interface CompatibilityMatrix {
  /** the initial state first, then one per migration (its id) */
  states: string[];
  apps: { name: string; role: AppRole }[];
  cells: CompatibilityCell[];
  /** the last state up to which the old app passes every probe (null: it fails from the start) */
  oldAppLastState: string | null;
  /** the first state from which the new app passes every probe to the end (null: not even at the end) */
  newAppFirstState: string | null;
  rollout: Rollout | null;
}
