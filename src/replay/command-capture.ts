import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { CommandTracker, Poll, PolledLock } from './command-tracker.ts';
import { clockOffset } from '../observe/index.ts';
import { relationNameSql } from '../core/relation-name.ts';

/** Object ids below this are PostgreSQL's own catalogs (FirstNormalObjectId). */
const FIRST_USER_OID = 16384;

/**
 * One round trip per poll: the server's clock, the WAL position, and every client backend of the
 * rehearsal database that is the migration command's — tagged rehearse/migration (PGAPPNAME), or
 * not tagged rehearse/… at all and not connected before the command started ($1: those pids and
 * this one) — with the relation locks it holds on user relations.
 */
const POLL_SQL = `
WITH a AS (
  SELECT pid, state, query, query_start, state_change, xact_start
    FROM pg_stat_activity
   WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
     AND (application_name LIKE 'rehearse/migration%'
          OR (application_name NOT LIKE 'rehearse/%' AND NOT (pid = ANY($1::int[]))))
), l AS (
  SELECT l.pid, json_agg(json_build_array(l.relation::int8::text, l.mode, ${relationNameSql('c')}, c.relkind::text)) AS locks
    FROM pg_locks l JOIN a ON a.pid = l.pid LEFT JOIN pg_class c ON c.oid = l.relation
   WHERE l.locktype = 'relation' AND l.granted AND l.relation >= ${FIRST_USER_OID}
   GROUP BY l.pid
)
SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS t,
       pg_current_wal_insert_lsn()::text AS lsn,
       (SELECT json_agg(json_build_array(a.pid, a.state, a.query,
                 extract(epoch FROM a.query_start)::float8 * 1000,
                 extract(epoch FROM a.state_change)::float8 * 1000,
                 extract(epoch FROM a.xact_start)::float8 * 1000,
                 l.locks))
          FROM a LEFT JOIN l ON l.pid = a.pid) AS rows`;

type RawRow = [number, string | null, string | null, number | null, number | null, number | null, [string, string, string | null, string | null][] | null];

export interface CaptureOptions {
  /** pids that are not the command's (connected before it started) */
  exclude: number[];
  /** pause between polls once settled (default 5 ms); back to back for 200 ms after a new backend appears */
  intervalMs?: number;
  log: Logger;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Poll on `client` until stop(), feeding `tracker`. The server's clock is mapped to the tool's
 * (performance.timeOrigin + now, the clock of traffic and blocking) with the offset measured here.
 */
export async function startCapture(client: pg.Client, tracker: CommandTracker, options: CaptureOptions) {
  const offset = await clockOffset(client, now);
  const local = (ms: number | null) => (ms === null ? null : Number(ms) - offset);
  const interval = options.intervalMs ?? 5;
  let knownBackends = 0;
  let burstUntil = now() + 200;
  let errors = 0;

  const poll = async (): Promise<void> => {
    const sent = now();
    const res = await client.query<{ t: number; lsn: string; rows: RawRow[] | null }>({
      name: 'rehearse_command_poll',
      text: POLL_SQL,
      values: [options.exclude],
    });
    const received = now();
    const row = res.rows[0]!;
    const p: Poll = {
      // the server's clock at the poll, on ours, kept within the round trip
      t: Math.min(received, Math.max(sent, Number(row.t) - offset)),
      lsn: row.lsn,
      backends: (row.rows ?? []).map((r) => ({
        pid: r[0],
        state: r[1],
        query: r[2] ?? '',
        queryStart: local(r[3]),
        stateChange: local(r[4]),
        xactStart: local(r[5]),
        locks: (r[6] ?? []).map(([oid, mode, name, relkind]): PolledLock => ({ oid, mode, name, relkind })),
      })),
    };
    tracker.add(p);
    const backends = tracker.pids().length;
    if (backends > knownBackends) burstUntil = now() + 200;
    knownBackends = backends;
  };

  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        await poll();
      } catch (err) {
        errors += 1;
        if (errors <= 3) options.log.warn(`command capture: ${describeError(err)}`);
        if (errors >= 100) return;
      }
      if (now() > burstUntil && running) await new Promise((r) => setTimeout(r, interval));
    }
  })();

  return {
    /** stop polling after one last poll (the state right after the command ended) */
    async stop(): Promise<void> {
      running = false;
      await loop;
      await poll().catch(() => undefined);
    },
  };
}
