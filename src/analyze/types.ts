/**
 * The analyze stage's results: the observe stage's blocking intervals and the replay's statement
 * traces put together, in the report's terms.
 */
// ─── attributed ──────────────────────────────────────────────────────────────────────────────

export type BlockerKind = 'migration' | 'app' | 'other';

/** One wait, in the report's terms. */
export interface BlockingEntry {
  /** the blocked app, or 'migration' when the migration itself waited */
  app: string;
  /** the blocked query; for the migration `${migrationId}#${statementIndex}` */
  query: string;
  blockerKind: BlockerKind;
  /** the migration statement involved: the root blocker, the migration statement queued ahead of
   *  the blocked query (lock queue), or, when the migration waited, the statement that waited */
  migrationId: string | null;
  statementIndex: number | null;
  /** how the migration statement is involved: 'holds' (root), 'queued' (direct blocker, itself
   *  waiting), 'waits' (the migration is the blocked one), null when it is not */
  migrationRole: 'holds' | 'queued' | 'waits' | null;
  /** 'migration 008#0', 'old/nightly_report', 'psql (pid 4242)' */
  rootBlocker: string;
  directBlocker: string;
  waitMs: number;
  /** epoch ms */
  startedAt: number;
  endedAt: number;
  relation: string | null;
  mode: string | null;
  waitEvent: string | null;
  /** the blocked backend and its query's start (epoch ms): together they name one execution, which
   *  can have several entries when its root blocker changed while it waited */
  pid: number;
  queryStart: number | null;
}

/** Per migration statement: the application waits it caused (as root holder or queued ahead). */
export interface StatementBlocking {
  migrationId: string;
  statementIndex: number;
  /** blocked executions (an execution queued behind the statement, then blocked by its lock, counts once) */
  blockedQueries: number;
  /** the longest an execution waited because of this statement (its entries for it summed) */
  maxBlockedMs: number;
  totalBlockedMs: number;
  /** 'app/query' names that were blocked */
  queries: string[];
  /** how long the statement itself waited for locks held by others */
  lockWaitMs: number;
}

export interface Attribution {
  entries: BlockingEntry[];
  statements: StatementBlocking[];
}

/**
 * Impact at production's rate (a statement's lock hold × production's calls per second on that
 * table, from a statistics file's traffic section): estimates, with their basis.
 */
export interface ProductionRateImpact {
  /** the table locked, qualified */
  table: string;
  /** the mode held on it */
  mode: string;
  /** the hold the estimate uses (milliseconds) */
  holdMs: number;
  /** predicted at production size (--predict-for), or measured in the rehearsal */
  holdFrom: 'measured' | 'predicted';
  /** production calls per second of the statements on that table whose lock waits for that mode */
  productionCallsPerSec: number;
  productionStatements: number;
  /** productionCallsPerSec × hold: the queries that would queue */
  estimatedQueuedQueries: number;
  /** the most connections production had open at once; null: the file has no count */
  productionConnections: number | null;
  /** connections ÷ calls per second: when every connection would be waiting; null when the hold ends first (or no count) */
  estimatedAllConnectionsWaitingAfterMs: number | null;
  /** the sentence, with the figures and where they came from */
  basis: string;
}
