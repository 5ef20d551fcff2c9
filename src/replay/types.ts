/** What the replay observed of one statement. Every figure is measured, none estimated. */
export interface LockTaken {
  /** relation name, schema-qualified when not on the search_path (PostgreSQL's regclass text) */
  relation: string;
  /** PostgreSQL's own lock mode name, e.g. 'AccessExclusiveLock' */
  mode: string;
  /** r table, i index, S sequence, v view, m matview, p partitioned table, I partitioned index, t TOAST */
  relkind: string | null;
}

export interface Rewrite {
  relation: string;
  relkind: string | null;
  /** relfilenode before and after the statement: different means PostgreSQL wrote a new copy */
  relfilenodeBefore: number;
  relfilenodeAfter: number;
}

export interface StatementError {
  sqlstate: string;
  message: string;
  detail?: string;
  hint?: string;
  /** file:line where the failing statement (or the error position inside it) is */
  file: string;
  line: number;
}

export interface StatementTrace {
  index: number;
  sql: string;
  file: string;
  line: number;
  kind: string;
  /** ran inside a transaction block (its locks are held until that transaction ends) */
  inTransaction: boolean;
  /** epoch milliseconds (fractional) */
  startedAt: number;
  endedAt: number;
  durationMs: number;
  /** relation locks this statement acquired (first acquired in its transaction) */
  locks: LockTaken[];
  /** how the locks were read: 'exact' (pg_locks of the backend after the statement, inside its
   *  transaction) or 'sampled' (pg_locks polled from a second connection while it ran) */
  lockSource: 'exact' | 'sampled';
  /** from the statement's start until its transaction ended (0 when it took no lock) */
  lockHeldMs: number;
  rewrites: Rewrite[];
  /** TRUNCATE: relations given new, empty storage (relfilenode changed, no row rewritten); absent otherwise */
  truncated?: Rewrite[];
  /** relations that exist after the statement and did not when its transaction began (this statement's
   *  transaction created them: no other session can see them until it commits); absent when none */
  createdInTransaction?: string[];
  /** WAL written by the whole server while the statement ran (pg_current_wal_insert_lsn difference) */
  walBytes: number;
  /** rows reported by the command tag (INSERT/UPDATE/DELETE/COPY/SELECT), null for DDL */
  rowsAffected: number | null;
  error?: StatementError;
  /** lock_timeout rehearsal: tries including the last one (absent when the first try settled it) */
  attempts?: number;
  /** the tries that hit lock_timeout before, each rolled back with its transaction */
  failedAttempts?: FailedAttempt[];
}

/** A try of a statement that hit lock_timeout (its transaction was rolled back and run again). */
export interface FailedAttempt {
  startedAt: string;
  waitedMs: number;
  sqlstate: string;
  message: string;
}

export type MigrationStatus = 'applied' | 'failed' | 'skipped';

export interface MigrationTrace {
  id: string;
  name: string;
  file: string;
  status: MigrationStatus;
  startedAt: number | null;
  durationMs: number;
  statements: StatementTrace[];
  /** sqitch: the verify script run right after the deploy script (a failed verify fails the migration) */
  verify?: VerifyResult;
}

export interface VerifyResult {
  file: string;
  ok: boolean;
  durationMs: number;
  statements: number;
  error?: { sqlstate: string; message: string; file: string; line: number };
}
