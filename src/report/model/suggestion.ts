/**
 * --suggest: the findings' mechanical rewrites written to <out>/suggested/ in the migrations' own
 * layout and rehearsed again on the same dataset with the same workload: before vs after.
 */

/** The figures compared, each the worst of its run (null when the run had no workload to measure it). */
export interface SuggestionFigures {
  /** longest hold of a lock that blocks reads or writes (ShareLock or stronger) */
  blockingLockHoldMs: number;
  /** longest wait of an application query on a migration statement */
  appWaitMs: number | null;
  /** highest p99 of an application query while a migration statement ran */
  p99Ms: number | null;
  /** all migrations, start to end */
  durationMs: number;
  /** the run stopped at a failure: these are the figures of the part that ran, not a result */
  partial?: true;
}

/** What stopped the rehearsal of the suggestion: the statement, its error, and what the rehearsal shows of why. */
export interface SuggestionFailure {
  /** the failing statement as written in the suggested folder (its first line), null when the run stopped outside a statement */
  statement: string | null;
  file: string | null;
  line: number | null;
  /** SQLSTATE, or the run error's kind */
  sqlstate: string;
  message: string;
  /** the rewrite (finding rule) the failing statement belongs to, null when it is a statement left as it was */
  rule: string | null;
  /** what the rehearsal shows caused it (the apps' writes while the rewritten steps committed one by one, with counts), null when it shows nothing */
  cause: string | null;
}

export interface SuggestedRewrite {
  rule: string;
  migrationId: string;
  statementIndex: number;
  /** the original statement's file:line */
  file: string;
  line: number;
  /** the file in the suggested folder that carries the rewrite */
  suggestedFile: string;
}

export interface Suggestion {
  /** set when the rehearsal of the suggestion failed: every format leads with it, and shows no before/after improvement */
  failure?: SuggestionFailure;
  /** the suggested migrations, the original folder's layout */
  folder: string;
  rewrites: SuggestedRewrite[];
  /** migrations --suggest added: a step of a rewritten file that the tool cannot run among the
   *  file's other statements (CONCURRENTLY, VACUUM, a committing backfill), or the statements after it */
  placed?: { file: string; from: string; outside: boolean }[];
  /** the rehearsal of the suggestion: passed (every migration applied), failed, or error */
  status: 'passed' | 'failed' | 'error';
  /** the suggested run's own report.json */
  report: string;
  /** lock_timeout and retries the suggestion was rehearsed with (when a DDL waited in the lock queue) */
  lockTimeoutMs: number | null;
  retries: number | null;
  /** the suggestion changed the schema exactly as the original did (column order aside, and what the contract steps drop): the same final schema */
  sameSchema: boolean;
  /** what the rewrites leave in place on purpose until every app writes the new column (a fill
   *  trigger, a column DEFAULT), as the SQL of the contract step to run in a later migration */
  contractSteps?: string[];
  before: SuggestionFigures;
  after: SuggestionFigures;
}
