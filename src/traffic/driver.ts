import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describeError } from '../core/errors.ts';
import { appTag } from '../observe/index.ts';
import type { Logger } from '../core/log.ts';
import { runExecution } from './execute.ts';
import { drawExecution, loadSamples, SampleError, sampleSpecs, type Samples } from './params.ts';
import { cancelBackends, Shard, type RecordSink, type ShardClock } from './shard.ts';
import { QueryStats, type Outcome } from './stats.ts';
import { autoThreads, BatchMerger, planShards, serializeSamples, spawnShard, type MainMessage } from './threads.ts';
import { ScheduledSessions } from './scheduled.ts';
import type { BackgroundResult, BackgroundSpec, PhaseSpan, QueryResult, TrafficResult, TrafficRun, Workload } from './types.ts';
import { WireConnection } from './wire.ts';
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
  /** worker threads running the apps' clients; 0: this thread (default: autoThreads) */
  threads?: number;
}

const defaultNow = () => performance.timeOrigin + performance.now();
export const BASELINE = 'baseline';
export const AFTER = 'after';
/** The phase of one migration statement: '008#0'. */
export const phaseName = (migrationId: string, statementIndex: number) => `${migrationId}#${statementIndex}`;

/**
 * Start every app of the workload against `url`: a pool per app with `clients` connections,
 * opened and warmed before this resolves, run by this thread or split over worker threads (see
 * shard.ts for the open- and closed-loop rules, threads.ts for the split). A query with a rate
 * runs open loop (executions issued on schedule whether or not earlier ones finished; latency
 * counts from the scheduled time, so time spent waiting for a free connection counts); the others
 * run closed loop (each client runs the next one, round robin, as soon as its last ends; latency
 * is the query's own).
 *
 * Attribution: before each execution the connection's application_name is set to
 * rehearse/app/<app>/<query> (only when it changes), so the sampler names exactly the query a
 * waiting backend runs.
 */
export async function startTraffic(url: string, workload: Workload, options: TrafficOptions): Promise<TrafficRun> {
  const { log } = options;
  const now = options.now ?? defaultNow;
  const drainMs = options.drainMs ?? 5000;
  const threads = options.threads ?? autoThreads(workload.apps);

  const samples = await sampleOnce(url, workload, options.sampleLimit ?? 10_000, log);

  // phases: names in the order first marked; the index of the current one is shared with the workers
  const phaseOrder = [BASELINE];
  // [0] the phase index, [1] 1 once stopping: read by every shard before it issues an execution
  const shared = new Int32Array(new SharedArrayBuffer(8));
  // made when the traffic starts (their timelines count from then); nothing records before
  let stats: QueryStats[][] = [];
  const sink: RecordSink = {
    record(app, query, phase, endedAt, ms, outcome) {
      if (stats[app]![query]!.record(phaseOrder[phase]!, endedAt, ms, outcome)) {
        log.warn(`traffic ${workload.apps[app]!.name}/${workload.apps[app]!.queries[query]!.name}: ${outcome.sqlstate} ${outcome.message}`);
      }
    },
    dropped(app, query) {
      stats[app]![query]!.dropped += 1;
    },
  };
  const shards = await openShards(
    url,
    workload,
    threads,
    samples,
    sink,
    { now, phase: () => Atomics.load(shared, 0), stopped: () => Atomics.load(shared, 1) === 1 },
    shared.buffer as SharedArrayBuffer,
    log,
  );

  let backgroundClients: WireConnection[];
  // a log's sessions: the early ones connected now, so their first statements are on time
  const scheduled = workload.sessions?.length
    ? new ScheduledSessions({ url, workload, sink, now, phase: () => Atomics.load(shared, 0), warn: (m) => log.warn(m) })
    : null;
  try {
    backgroundClients = await Promise.all(
      workload.background.map((b) => WireConnection.open({ connectionString: url, application_name: appTag(b.app, b.name) })),
    );
    await scheduled?.open().catch(async (err) => {
      await Promise.allSettled(backgroundClients.map((c) => c.end()));
      throw err;
    });
  } catch (err) {
    await shards.stop(0);
    throw err;
  }

  const t0 = now();
  stats = workload.apps.map((spec) => spec.queries.map((q) => new QueryStats(q.name, q.rate, t0)));
  const phases: PhaseSpan[] = [{ name: BASELINE, startedAt: t0, endedAt: t0 }];
  let phase = BASELINE;
  let stopping = false;
  let stopped: Promise<TrafficResult> | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  const track = <T>(p: Promise<T>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };
  shards.start(t0);
  scheduled?.start(t0);

  /** Run fn at epoch ms `when` (timers may fire a fraction of a millisecond early: re-arm then). */
  function scheduleAt(when: number, fn: () => void) {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (now() < when && !stopping) scheduleAt(when, fn);
        else fn();
      },
      Math.max(0, when - now()),
    );
    timers.add(timer);
  }

  // Background transactions: each on its own connection, opened above so the offset is exact.
  const background: BackgroundResult[] = workload.background.map((b) => ({
    name: b.name,
    app: b.app,
    atMs: b.atMs,
    startedAt: null,
    endedAt: null,
    durationMs: null,
    ok: false,
    message: 'not started: the traffic stopped before its offset',
  }));
  let backgroundScheduled = false;
  const scheduleBackground = (origin: number) => {
    backgroundScheduled = true;
    workload.background.forEach((b, i) => scheduleAt(origin + b.atMs, () => void track(runBackground(b, backgroundClients[i]!, background[i]!))));
  };
  const runBackground = async (b: BackgroundSpec, client: WireConnection, result: BackgroundResult) => {
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

  log.info(
    `traffic: ${workload.apps.map((a) => (a.clients === 0 ? `${a.name} (${a.queries.length} distinct logged statements)` : `${a.name} (${a.clients} clients, ${a.queries.length} queries)`)).join(', ')}${workload.sessions?.length ? `, ${workload.sessions.length} logged sessions` : ''}${workload.background.length ? `, ${workload.background.length} background` : ''}${threads > 0 ? `, ${threads} worker thread${threads > 1 ? 's' : ''}` : ''}`,
  );

  return {
    startedAt: t0,
    ...(scheduled ? { sessionsDone: scheduled.done() } : {}),
    markPhase(name: string) {
      if (stopping || name === phase) return;
      const t = now();
      phases.at(-1)!.endedAt = t;
      phases.push({ name, startedAt: t, endedAt: t });
      if (!phaseOrder.includes(name)) phaseOrder.push(name);
      Atomics.store(shared, 0, phaseOrder.indexOf(name));
      phase = name;
      if (!backgroundScheduled && name !== BASELINE) scheduleBackground(t);
    },
    stop(): Promise<TrafficResult> {
      return (stopped ??= stopAll());
    },
  };

  async function stopAll(): Promise<TrafficResult> {
    stopping = true;
    Atomics.store(shared, 1, 1);
    const endedAt = now();
    phases.at(-1)!.endedAt = endedAt;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    const drainBackground = async () => {
      const pending = () => Promise.allSettled([...inFlight]);
      if ((await Promise.race([pending().then(() => true), sleep(drainMs).then(() => false)])) === false) {
        log.warn(`traffic: background transactions still running ${drainMs} ms after stop; cancelling them`);
        await cancelBackends(
          url,
          backgroundClients.map((c) => c.pid),
        );
        await pending();
      }
      await Promise.allSettled(backgroundClients.map((c) => c.end()));
    };
    await Promise.all([shards.stop(drainMs), drainBackground(), scheduled?.stop(drainMs)]);
    const replay = scheduled?.result();
    if (replay?.behind) log.warn(`replay: ${replay.behind}`);
    return {
      startedAt: t0,
      endedAt,
      phases: phases.map((p) => ({ ...p })),
      apps: workload.apps.map((spec, a) => ({
        name: spec.name,
        role: spec.role,
        clients: spec.clients,
        queries: stats[a]!.map((s, q) => withText(s.result(endedAt, phaseOrder), spec.queries[q]!.text)),
      })),
      background,
      ...(replay ? { replay } : {}),
    };
  }
}

/** A log's statement carries its normalized text into the report (right after its name). */
function withText(result: QueryResult, text: string | undefined): QueryResult {
  if (text === undefined) return result;
  const { name, ...rest } = result;
  return { name, text, ...rest };
}

interface Shards {
  start(t0: number): void;
  /** stop issuing, drain (cancel after drainMs), close; every measurement is in the sink after */
  stop(drainMs: number): Promise<void>;
}

/** The apps' clients in this thread (threads = 0) or split over worker threads. */
async function openShards(
  url: string,
  workload: Workload,
  threads: number,
  samples: Samples,
  sink: RecordSink,
  clock: ShardClock,
  shared: SharedArrayBuffer,
  log: Logger,
): Promise<Shards> {
  if (threads === 0) {
    const shard = new Shard({ url, apps: planShards(workload.apps, 1)[0]!, samples, sink, clock, warn: (m) => log.warn(m) });
    await shard.open();
    return { start: (t0) => shard.start(t0), stop: (drainMs) => shard.stop(drainMs) };
  }
  const plan = planShards(workload.apps, threads).filter((apps) => apps.length > 0);
  const merger = new BatchMerger(plan.length, sink);
  const serialized = serializeSamples(samples);
  const workers = plan.map((apps, i) => spawnShard(i, { url, apps, samples: serialized, shared }, clock.now, merger, (m) => log.warn(m)));
  const stop = async (drainMs: number) => {
    for (const w of workers) w.worker.postMessage({ type: 'stop', drainMs } satisfies MainMessage);
    await Promise.all(workers.map((w) => w.stopped));
    await Promise.all(workers.map((w) => w.worker.terminate()));
  };
  const opened = await Promise.allSettled(workers.map((w) => w.ready));
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed) {
    await stop(0);
    throw failed.reason;
  }
  return {
    start: (t0) => workers.forEach((w) => w.worker.postMessage({ type: 'start', t0 } satisfies MainMessage)),
    stop,
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
