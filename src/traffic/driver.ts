import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describeError } from '../core/errors.ts';
import { appTag } from '../observe/index.ts';
import type { Logger } from '../core/log.ts';
import { isConnectionFailure, runExecution } from './execute.ts';
import { drawExecution, loadSamples, SampleError, sampleSpecs, type Samples } from './params.ts';
import { QueryStats, type Outcome } from './stats.ts';
import type { AppSpec, BackgroundResult, BackgroundSpec, PhaseSpan, QuerySpec, TrafficResult, TrafficRun, Workload } from './types.ts';
import { round } from '../core/numbers.ts';

export interface TrafficOptions {
  log: Logger;
  /** epoch ms; defaults to performance.timeOrigin + performance.now() (the replay's clock) */
  now?: () => number;
  /** background offsets count from startTraffic ('start', the default) or from the first phase
   *  marked after 'baseline', i.e. the start of the replay ('replay') */
  backgroundFrom?: 'start' | 'replay';
  /** how long stop() waits for executions in flight before cancelling them (default 5000) */
  drainMs?: number;
  /** values read per sampled column (default 10000) */
  sampleLimit?: number;
}

const defaultNow = () => performance.timeOrigin + performance.now();
export const BASELINE = 'baseline';
export const AFTER = 'after';
/** The phase of one migration statement: '008#0'. */
export const phaseName = (migrationId: string, statementIndex: number) => `${migrationId}#${statementIndex}`;

/**
 * Start every app of the workload against `url`: a pg pool per app with `clients` connections,
 * opened and warmed before this resolves. A query with a rate runs open loop (executions issued on
 * schedule whether or not earlier ones finished; latency counts from the scheduled time, so time
 * spent waiting for a free connection counts); the others run closed loop (each client runs the
 * next one, round robin, as soon as its last ends; latency is the query's own).
 *
 * Attribution: before each execution the connection's application_name is set to
 * rehearse/app/<app>/<query> (only when it changes), so the sampler names exactly the query a
 * waiting backend runs.
 */
export async function startTraffic(url: string, workload: Workload, options: TrafficOptions): Promise<TrafficRun> {
  const { log } = options;
  const now = options.now ?? defaultNow;
  const drainMs = options.drainMs ?? 5000;

  const samples = await sampleOnce(url, workload, options.sampleLimit ?? 10_000, log);
  const apps = await Promise.all(workload.apps.map((app) => openApp(url, app, log)));
  const backgroundClients = await Promise.all(
    workload.background.map(async (b) => {
      const client = new pg.Client({ connectionString: url, application_name: appTag(b.app, b.name) });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }),
  );

  const t0 = now();
  const phases: PhaseSpan[] = [{ name: BASELINE, startedAt: t0, endedAt: t0 }];
  const phaseOrder = [BASELINE];
  let phase = BASELINE;
  let stopping = false;
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  const track = <T>(p: Promise<T>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  const stats = new Map<AppSpec, Map<QuerySpec, QueryStats>>();
  for (const { spec } of apps) stats.set(spec, new Map(spec.queries.map((q) => [q, new QueryStats(q.name, q.rate, t0)])));

  /** One execution of q; `intended` is the scheduled start for open loop. Returns false when it did no I/O. */
  const execute = async (app: OpenApp, q: QuerySpec, intended: number | null): Promise<boolean> => {
    const issuedIn = phase;
    const s = stats.get(app.spec)!.get(q)!;
    const record = (endedAt: number, ms: number, outcome: Outcome) => {
      if (s.record(issuedIn, endedAt, ms, outcome)) log.warn(`traffic ${app.spec.name}/${q.name}: ${outcome.sqlstate} ${outcome.message}`);
    };
    let values;
    try {
      values = drawExecution(q, samples);
    } catch (err) {
      const e = err as SampleError;
      record(now(), 0, { ok: false, sqlstate: e.sqlstate ?? 'SAMPLE', message: e.message });
      return false;
    }
    let client: pg.PoolClient;
    try {
      client = await app.pool.connect();
    } catch (err) {
      const t = now();
      record(t, t - (intended ?? t), { ok: false, sqlstate: 'CLIENT', message: describeError(err) });
      return false;
    }
    let outcome: Outcome;
    let start = now();
    try {
      await app.tag(client, q.name);
      start = now();
      outcome = await runExecution(client, q.steps, values, q.transaction ? 'transaction' : 'autocommit');
    } catch (err) {
      outcome = { ok: false, sqlstate: 'CLIENT', message: describeError(err) };
    }
    const end = now();
    client.release(isConnectionFailure(outcome) ? true : undefined);
    record(end, end - (intended ?? start), outcome);
    return true;
  };

  const workers: Promise<void>[] = [];
  for (const app of apps) {
    const closed = app.spec.queries.filter((q) => q.rate === null);
    let next = 0;
    for (let w = 0; w < app.spec.clients && closed.length > 0; w++) {
      workers.push(
        (async () => {
          while (!stopping) {
            const q = closed[next++ % closed.length]!;
            const didIo = await execute(app, q, null);
            if (!didIo && !stopping) await sleep(100);
          }
        })(),
      );
    }
    for (const q of app.spec.queries.filter((q) => q.rate !== null)) {
      const interval = 1000 / q.rate!;
      const cap = Math.max(100, Math.ceil(q.rate! * 30));
      let k = 0;
      let waiting = 0;
      const tick = () => {
        if (stopping) return;
        const t = now();
        for (let intended = t0 + k * interval; intended <= t; intended = t0 + ++k * interval) {
          if (waiting >= cap) {
            stats.get(app.spec)!.get(q)!.dropped += 1;
            continue;
          }
          waiting += 1;
          void track(execute(app, q, intended).finally(() => (waiting -= 1)));
        }
        scheduleAt(t0 + k * interval, tick);
      };
      tick();
    }
  }

  /** Run fn at epoch ms `when` (timers may fire a fraction of a millisecond early: re-arm then). */
  function scheduleAt(when: number, fn: () => void) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (now() < when && !stopping) scheduleAt(when, fn);
      else fn();
    }, Math.max(0, when - now()));
    timers.add(timer);
  }

  // Background transactions: each on its own connection, opened above so the offset is exact.
  const background: BackgroundResult[] = workload.background.map((b) => ({ name: b.name, app: b.app, atMs: b.atMs, startedAt: null, endedAt: null, durationMs: null, ok: false, message: 'not started: the traffic stopped before its offset' }));
  let backgroundScheduled = false;
  const scheduleBackground = (origin: number) => {
    backgroundScheduled = true;
    workload.background.forEach((b, i) => scheduleAt(origin + b.atMs, () => void track(runBackground(b, backgroundClients[i]!, background[i]!))));
  };
  const runBackground = async (b: BackgroundSpec, client: pg.Client, result: BackgroundResult) => {
    if (stopping) return;
    result.startedAt = now();
    let outcome: Outcome;
    try {
      outcome = await runExecution(client, b.steps, drawExecution(b, samples), 'transaction');
    } catch (err) {
      outcome = { ok: false, sqlstate: (err as SampleError).sqlstate ?? 'CLIENT', message: describeError(err) };
    }
    result.endedAt = now();
    result.durationMs = round(result.endedAt - result.startedAt);
    result.ok = outcome.ok;
    delete result.message;
    if (!outcome.ok) {
      result.sqlstate = outcome.sqlstate ?? 'CLIENT';
      result.message = outcome.message ?? '';
      log.warn(`background ${b.app}/${b.name} failed: ${result.sqlstate} ${result.message}`);
    }
  };
  if ((options.backgroundFrom ?? 'start') === 'start') scheduleBackground(t0);

  log.info(`traffic: ${apps.map((a) => `${a.spec.name} (${a.spec.clients} clients, ${a.spec.queries.length} queries)`).join(', ')}${workload.background.length ? `, ${workload.background.length} background` : ''}`);

  return {
    startedAt: t0,
    markPhase(name: string) {
      if (stopping || name === phase) return;
      const t = now();
      phases.at(-1)!.endedAt = t;
      phases.push({ name, startedAt: t, endedAt: t });
      if (!phaseOrder.includes(name)) phaseOrder.push(name);
      phase = name;
      if (!backgroundScheduled && name !== BASELINE) scheduleBackground(t);
    },
    async stop(): Promise<TrafficResult> {
      stopping = true;
      const endedAt = now();
      phases.at(-1)!.endedAt = endedAt;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const pending = () => Promise.allSettled([...workers, ...inFlight]);
      if ((await Promise.race([pending().then(() => true), sleep(drainMs).then(() => false)])) === false) {
        log.warn(`traffic: executions still running ${drainMs} ms after stop; cancelling them`);
        await cancelBackends(url, [...apps.flatMap((a) => [...a.pids]), ...backgroundClients.map(pidOf)]);
        await pending();
      }
      await Promise.allSettled([...apps.map((a) => a.pool.end()), ...backgroundClients.map((c) => c.end())]);
      return {
        startedAt: t0,
        endedAt,
        phases: phases.map((p) => ({ ...p })),
        apps: apps.map(({ spec }) => ({
          name: spec.name,
          role: spec.role,
          clients: spec.clients,
          queries: spec.queries.map((q) => stats.get(spec)!.get(q)!.result(endedAt, phaseOrder)),
        })),
        background,
      };
    },
  };
}

interface OpenApp {
  spec: AppSpec;
  pool: pg.Pool;
  /** backend pids of the pool's connections (to cancel what is still running at stop) */
  pids: Set<number>;
  /** set the connection's application_name to this query's tag, when it is not already */
  tag(client: pg.PoolClient, query: string): Promise<void>;
}

const pidOf = (client: pg.ClientBase) => (client as unknown as { processID: number }).processID;

async function openApp(url: string, spec: AppSpec, log: Logger): Promise<OpenApp> {
  const pool = new pg.Pool({
    connectionString: url,
    max: spec.clients,
    idleTimeoutMillis: 0,
    application_name: appTag(spec.name),
    ...(spec.statementTimeoutMs !== null ? { statement_timeout: spec.statementTimeoutMs } : {}),
  });
  const pids = new Set<number>();
  const tags = new WeakMap<pg.PoolClient, string>();
  pool.on('connect', (client) => pids.add(pidOf(client)));
  pool.on('error', (err) => log.warn(`traffic ${spec.name}: connection lost: ${describeError(err)}`));
  // Open every connection now, so connecting is not measured as latency.
  const clients = await Promise.all(Array.from({ length: spec.clients }, () => pool.connect()));
  clients.forEach((c) => c.release());
  return {
    spec,
    pool,
    pids,
    async tag(client, query) {
      const tag = appTag(spec.name, query);
      if (tags.get(client) === tag) return;
      await client.query('SELECT set_config($1, $2, false)', ['application_name', tag]);
      tags.set(client, tag);
    },
  };
}

/** Sample every sampled column once. A column that cannot be sampled is warned about: its queries fail. */
async function sampleOnce(url: string, workload: Workload, limit: number, log: Logger): Promise<Samples> {
  const specs = sampleSpecs(workload);
  if (specs.length === 0) return new Map();
  const client = new pg.Client({ connectionString: url, application_name: 'rehearse/traffic-sample' });
  await client.connect();
  try {
    const samples = await loadSamples(client, specs, limit);
    for (const v of samples.values()) if (v instanceof SampleError) log.warn(`${workload.file}: ${v.message}; the queries using it fail with ${v.sqlstate}`);
    return samples;
  } finally {
    await client.end();
  }
}

async function cancelBackends(url: string, pids: number[]) {
  const client = new pg.Client({ connectionString: url, application_name: 'rehearse/traffic-stop' });
  try {
    await client.connect();
    await client.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  } catch {
    // the pools are closed next anyway
  } finally {
    await client.end().catch(() => undefined);
  }
}

