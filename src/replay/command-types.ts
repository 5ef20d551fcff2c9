import type { Rewrite } from './types.ts';

/**
 * Command mode (`--migrate-command`): a migration tool runs as a child process against the
 * rehearsal database and its statements are captured from outside, by polling pg_stat_activity
 * and pg_locks. What the report says about the command as a whole (on its one migration, id
 * 'command'); its statements are ordinary statement traces with lockSource 'sampled'.
 */
export interface CommandRun {
  /** the command line as given, passwords masked */
  command: string;
  /** every figure of this migration was sampled from outside (pg_stat_activity, pg_locks), not read exactly */
  capture: 'sampled';
  /** the command's exit code; null when a signal ended it */
  exitCode: number | null;
  signal: string | null;
  /** the last lines of its standard output and error, passwords masked */
  stdout: string;
  stderr: string;
  /** backends (connections) of the command seen on the rehearsal database */
  backends: number;
  /** polls of pg_stat_activity + pg_locks while it ran, and their spacing: the precision achieved */
  samples: number;
  meanIntervalMs: number | null;
  maxIntervalMs: number | null;
  /** the tool's own bookkeeping left out of statements[] (transaction control, SET, its tracking
   *  table, catalog reads, advisory locks): the first line of each, in order */
  bookkeeping: string[];
  /** every relation rewritten during the command (relfilenode before → after the whole command);
   *  statementIndex names the statement that held its AccessExclusiveLock, null when unclear */
  rewrites: (Rewrite & { statementIndex: number | null })[];
}
