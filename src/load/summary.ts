import pg from 'pg';
import { applicationName, withClient } from '../core/client.ts';
import type { Logger } from '../core/log.ts';
import type { TableSize } from './types.ts';

/** Above this many rows (pg_class.reltuples after ANALYZE) a table's count is the estimate, not count(*). */
export const EXACT_COUNT_LIMIT = 5_000_000;

const USER_TABLES = `
  SELECT c.oid::bigint AS oid, n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS estimate,
         pg_total_relation_size(c.oid)::float8 AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind = 'r'
     AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
   ORDER BY n.nspname, c.relname`;

/**
 * Every user table (partitions included; partitioned parents hold no rows and are not listed):
 * name (schema-qualified unless public), rows and total bytes.
 */
export async function summarizeTables(url: string): Promise<TableSize[]> {
  return withClient(url, 'load', async (client) => {
    const { rows } = await client.query<{ schema: string; name: string; estimate: number; bytes: number }>(USER_TABLES);
    const out: TableSize[] = [];
    for (const t of rows) {
      const estimated = t.estimate > EXACT_COUNT_LIMIT;
      let count = Math.round(t.estimate);
      if (!estimated) {
        const ident = `${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.name)}`;
        const res = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${ident}`);
        count = Number(res.rows[0]!.n);
      }
      out.push({ name: qualifiedName(t.schema, t.name), rows: count, rowsEstimated: estimated, bytes: t.bytes });
    }
    return out;
  });
}

export function qualifiedName(schema: string, name: string): string {
  return schema === 'public' ? name : `${schema}.${name}`;
}

/**
 * After a load: VACUUM ANALYZE (visibility map, hint bits and planner statistics as a long-lived
 * database has them) then CHECKPOINT (so the replay does not pay for the load's dirty buffers).
 * The VACUUM ANALYZE runs table by table over `jobs` connections, biggest first (as
 * `vacuumdb -j` does; one database-wide VACUUM works one table at a time), catalogs included;
 * with a partitioned table, whose ANALYZE also reads its partitions, as one database-wide VACUUM.
 * Returns each step's wall time in ms.
 */
export async function settle(url: string, log: Logger, jobs = 1, analyzed: readonly string[] = []): Promise<{ vacuumAnalyze: number; checkpoint: number }> {
  return withClient(url, 'load', async (client) => {
    let started = performance.now();
    const progress = log.progress('VACUUM ANALYZE');
    const stopWatching = watchVacuum(url, (detail) => progress.update(detail));
    try {
      const { rows } = await client.query<{ ident: string; name: string; partitioned: boolean }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS ident, n.nspname || '.' || c.relname AS name, c.relkind = 'p' AS partitioned
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast%'
          ORDER BY pg_total_relation_size(c.oid) DESC`,
      );
      // tables the load ANALYZEd already (a synthesis does, between rows and indexes) are only vacuumed
      const done = new Set(analyzed);
      if ((jobs <= 1 && done.size === 0) || rows.some((r) => r.partitioned)) await client.query('VACUUM (ANALYZE)');
      else
        await vacuumEach(
          url,
          rows.map((r) => `${done.has(r.name) ? '' : '(ANALYZE) '}${r.ident}`),
          jobs,
          client,
        );
    } finally {
      await stopWatching();
    }
    progress.done();
    const vacuumAnalyze = performance.now() - started;

    started = performance.now();
    const cp = log.progress('CHECKPOINT');
    try {
      await client.query('CHECKPOINT');
      cp.done();
    } catch (err) {
      // not a superuser (nor pg_checkpoint) on a --provider url server: timings just include more I/O
      if ((err as { code?: string }).code !== '42501') throw err;
      cp.done('skipped: not allowed for this user');
      log.warn(`CHECKPOINT after the load was not allowed (${(err as Error).message}); the first statements may pay for the load's dirty buffers`);
    }
    return { vacuumAnalyze, checkpoint: performance.now() - started };
  });
}

/** VACUUM of each table (`(ANALYZE) public.t` or `public.t`), `jobs` at a time (the first on `client`, the others on connections of their own). */
async function vacuumEach(url: string, tables: string[], jobs: number, client: pg.Client): Promise<void> {
  const queue = [...tables];
  const run = async (c: pg.ClientBase) => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await c.query(`VACUUM ${t}`);
  };
  const others = Array.from({ length: Math.min(jobs, tables.length) - 1 }, () => withClient(url, 'load', run));
  const failed = (await Promise.allSettled([run(client), ...others])).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Polls pg_stat_progress_vacuum/analyze once a second and reports which table is being worked on. */
function watchVacuum(url: string, report: (detail: string) => void): () => Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName('load-progress') });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const poll = async () => {
    try {
      const { rows } = await client.query<{ rel: string; phase: string; pct: number | null }>(
        `SELECT relid::regclass::text AS rel, phase,
                CASE WHEN heap_blks_total > 0 THEN round(100.0 * heap_blks_scanned / heap_blks_total) END::float8 AS pct
           FROM pg_stat_progress_vacuum WHERE datname = current_database()
         UNION ALL
         SELECT relid::regclass::text, phase,
                CASE WHEN sample_blks_total > 0 THEN round(100.0 * sample_blks_scanned / sample_blks_total) END::float8
           FROM pg_stat_progress_analyze WHERE datname = current_database()`,
      );
      const r = rows[0];
      if (r) report(`${r.rel}: ${r.phase}${r.pct === null ? '' : ` ${r.pct}%`}`);
    } catch {
      // progress is best effort
    }
    if (!stopped) timer = setTimeout(poll, 1000);
  };
  const ready = client.connect().then(
    () => {
      if (!stopped) timer = setTimeout(poll, 1000);
    },
    () => undefined,
  );
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await ready;
    await client.end().catch(() => undefined);
  };
}
