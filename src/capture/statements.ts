import { withClient } from '../core/client.ts';
import { describeError, infraError } from '../core/errors.ts';
import type { SkippedStatements, TrafficStatement } from '../stats/index.ts';
import { loadSqlParser } from '../stats/statement-text.ts';
import { OWN_MARK, readStatementCounters, statementsOfWindow } from '../stats/traffic.ts';

/**
 * pg_stat_statements on the rehearsal database: loaded on the server, created in the database and
 * reset right before the command, read right after it — with rehearse stats's reader
 * (src/stats/traffic.ts), so the file has the same form and the same rules: utility statements,
 * the tool's own (marked) and texts still carrying a constant are left out and counted. Between the
 * reset and the read the tool runs nothing in that database: what is recorded there is the command's.
 */
export const EXTENSION = 'pg_stat_statements';

export interface Recorded {
  statements: TrafficStatement[];
  skipped: SkippedStatements;
}

/** Whether the server preloads pg_stat_statements (shared_preload_libraries). */
export async function statementsPreloaded(url: string): Promise<boolean> {
  return withClient(url, 'capture', async (client) => {
    const { rows } = await client.query<{ libs: string }>(`SELECT /* ${OWN_MARK} */ current_setting('shared_preload_libraries') AS libs`);
    return rows[0]!.libs.split(',').some((l) => l.trim().replace(/^"|"$/g, '') === EXTENSION);
  });
}

/** CREATE EXTENSION (when missing) in the rehearsal database and reset its counters: what is recorded from here on is the command's. */
export async function startRecording(url: string): Promise<void> {
  await withClient(url, 'capture', async (client) => {
    try {
      await client.query(`CREATE EXTENSION IF NOT EXISTS ${EXTENSION}`);
      await client.query(`SELECT /* ${OWN_MARK} */ ${EXTENSION}_reset()`);
    } catch (err) {
      throw infraError(
        `cannot use ${EXTENSION} in the rehearsal database: ${describeError(err)}`,
        `CREATE EXTENSION ${EXTENSION} needs a superuser (or the managed service's admin role), and reading other sessions' statements pg_read_all_stats`,
        err,
      );
    }
  });
}

/** The statements recorded in this database since the reset, over a window of `windowMs` (the command's run). */
export async function readRecorded(url: string, windowMs: number): Promise<Recorded> {
  await loadSqlParser();
  const after = await withClient(url, 'capture', readStatementCounters);
  return statementsOfWindow([], after, Math.max(1, windowMs));
}
