import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { BlockingTracker } from './intervals.ts';
import { SAMPLER_NAME } from './names.ts';
import type { ActivityRow, BlockingInterval, SamplerStats } from './types.ts';
import { round } from '../core/numbers.ts';
import { relationNameSql } from '../core/relation-name.ts';

export interface SamplerOptions {
  /** time between samples (default 10) */
  sampleMs?: number;
  /** epoch ms; defaults to performance.timeOrigin + performance.now() (the replay's clock) */
  now?: () => number;
  log?: Logger;
}

export interface Sampler {
  /** samples taken so far and the spacing achieved */
  stats(): SamplerStats;
  /** stop polling, close the connection, and return the blocking intervals seen */
  stop(): Promise<BlockingInterval[]>;
}

// One round trip per sample. Only backends waiting for a lock, the backends they wait for, and the
// backends that waited at the previous sample ($1, to see when their wait ended) are returned.
// pg_blocking_pids() is called for waiting backends only; pg_locks is read for them only.
// Times are server epoch ms; the sampler maps them to the tool's clock.
const SAMPLE_SQL = `
WITH waiting AS (
  SELECT pid, pg_blocking_pids(pid) AS blockers
  FROM pg_stat_activity
  WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
), involved AS (
  SELECT pid FROM waiting
  UNION SELECT unnest(blockers) FROM waiting
  UNION SELECT unnest($1::int[])
)
SELECT extract(epoch FROM clock_timestamp()) * 1000 AS t,
  (SELECT json_agg(json_build_array(
      a.pid, a.application_name, a.backend_type, a.state, a.wait_event_type, a.wait_event, w.blockers,
      extract(epoch FROM a.query_start) * 1000, extract(epoch FROM a.state_change) * 1000,
      extract(epoch FROM a.xact_start) * 1000, l.relation, l.mode, l.locktype))
   FROM pg_stat_activity a
   LEFT JOIN waiting w ON w.pid = a.pid
   LEFT JOIN LATERAL (
     SELECT coalesce((SELECT ${relationNameSql('c')} FROM pg_class c WHERE c.oid = l.relation), l.relation::regclass::text) AS relation, l.mode, l.locktype
     FROM pg_locks l
     WHERE w.pid IS NOT NULL AND l.pid = a.pid AND NOT l.granted
     LIMIT 1
   ) l ON true
   WHERE a.pid IN (SELECT pid FROM involved) AND a.pid <> pg_backend_pid()) AS rows`;

type RawRow = [
  number,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  number[] | null,
  number | null,
  number | null,
  number | null,
  string | null,
  string | null,
  string | null,
];

const defaultNow = () => performance.timeOrigin + performance.now();

/**
 * Start polling pg_stat_activity every `sampleMs` on a dedicated connection, opened (and its
 * statement prepared, and the server's clock offset measured) before this resolves.
 */
export async function startSampler(url: string, options: SamplerOptions = {}): Promise<Sampler> {
  const sampleMs = options.sampleMs ?? 10;
  const now = options.now ?? defaultNow;
  const client = new pg.Client({ connectionString: url, application_name: SAMPLER_NAME });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('SET lock_timeout = 1000');
  const offset = await clockOffset(client, now);

  const tracker = new BlockingTracker();
  let samples = 0;
  let errors = 0;
  let lastT: number | null = null;
  let sumGap = 0;
  let maxGap = 0;

  const sample = async () => {
    const sent = now();
    const res = await client.query<{ t: number; rows: RawRow[] | null }>({ name: 'rehearse_sample', text: SAMPLE_SQL, values: [tracker.waitingPids()] });
    const received = now();
    const row = res.rows[0]!;
    // the server's clock at the sample, on our clock, kept within the round trip
    const t = Math.min(received, Math.max(sent, Number(row.t) - offset));
    const local = (ms: number | null) => (ms === null ? null : Number(ms) - offset);
    const rows: ActivityRow[] = (row.rows ?? []).map((r) => ({
      pid: r[0],
      applicationName: r[1] ?? '',
      backendType: r[2],
      state: r[3],
      waitEventType: r[4],
      waitEvent: r[5],
      blockers: r[6],
      queryStart: local(r[7]),
      stateChange: local(r[8]),
      xactStart: local(r[9]),
      relation: r[10],
      mode: r[11],
      locktype: r[12],
    }));
    tracker.add({ t, rows });
    samples += 1;
    if (lastT !== null) {
      sumGap += t - lastT;
      maxGap = Math.max(maxGap, t - lastT);
    }
    lastT = t;
  };

  await sample(); // warm: parse and plan once, before anything is measured

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    const started = now();
    running = sample()
      .catch((err) => {
        errors += 1;
        if (errors <= 3) options.log?.warn(`sampler: ${describeError(err)}`);
      })
      .then(() => {
        if (!stopped && errors < 100) timer = setTimeout(loop, Math.max(0, sampleMs - (now() - started)));
      });
  };
  loop();

  const stats = (): SamplerStats => ({
    samples,
    meanIntervalMs: samples > 1 ? round(sumGap / (samples - 1)) : null,
    maxIntervalMs: samples > 1 ? round(maxGap) : null,
    errors,
  });

  return {
    stats,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await client.end().catch(() => undefined);
      return tracker.finish();
    },
  };
}

/** Server clock minus our clock, from the quickest of a few round trips. */
export async function clockOffset(client: pg.Client, now: () => number): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 5; i++) {
    const sent = now();
    const res = await client.query<{ t: number }>('SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS t');
    const received = now();
    if (received - sent < best.rtt) best = { rtt: received - sent, offset: Number(res.rows[0]!.t) - (sent + received) / 2 };
  }
  return best.offset;
}
