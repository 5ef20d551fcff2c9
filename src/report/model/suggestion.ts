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
  /** the suggested migrations, the original folder's layout */
  folder: string;
  rewrites: SuggestedRewrite[];
  /** the rehearsal of the suggestion: passed (every migration applied), failed, or error */
  status: 'passed' | 'failed' | 'error';
  /** the suggested run's own report.json */
  report: string;
  /** lock_timeout and retries the suggestion was rehearsed with (when a DDL waited in the lock queue) */
  lockTimeoutMs: number | null;
  retries: number | null;
  /** the suggestion changed the schema exactly as the original did (column order aside): the same final schema */
  sameSchema: boolean;
  before: SuggestionFigures;
  after: SuggestionFigures;
}
