import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describeError } from '../core/errors.ts';
import { appTag } from '../observe/index.ts';
import { isConnectionFailure, runExecution, statementNames } from './execute.ts';
import { drawExecution, type SampleError, type Samples } from './params.ts';
import { ConnectionPool, type PooledConnection } from './pool.ts';
import type { Outcome } from './stats.ts';
import type { AppSpec, QuerySpec } from './types.ts';

/**
 * A share of the simulated clients: for each app, some of its connections, the closed loops on
 * them and a slice of each open-loop schedule. The driver runs one shard in its own thread or
 * several in worker threads (src/traffic/threads.ts); either way the rules are the same:
 *
 * - closed loop: each client runs the app's closed-loop queries round robin, the next as soon as
 *   the last ends; latency is the query's own;
 * - open loop: executions are issued at their scheduled times t0 + k / rate whether or not earlier
 *   ones finished (shard `slot` of `of` issues every k with k % of = slot), latency counts from the
 *   scheduled time (waiting for a free connection counts: no coordinated omission), and an
 *   execution is dropped, not issued, when the shard's share of the cap already waits;
 * - an execution counts in the phase current when it is issued.
 */

/** The part of one app a shard runs. */
export interface ShardApp {
  /** index of the app in the workload */
  index: number;
  spec: AppSpec;
  /** connections of this shard for the app */
  clients: number;
  /** this shard's place among the `of` shards that run the app (open-loop schedules are split so) */
  slot: number;
  of: number;
}

/** Where a shard's measurements go (the driver's statistics, directly or through a worker message). */
export interface RecordSink {
  record(app: number, query: number, phase: number, endedAt: number, ms: number, outcome: Outcome): void;
  dropped(app: number, query: number): void;
}

export interface ShardClock {
  /** epoch ms, the replay's clock */
  now(): number;
  /** index of the phase executions issued now count in */
  phase(): number;
  /** the traffic stopped: issue nothing more (read before each execution is issued) */
  stopped(): boolean;
}

export interface ShardOptions {
  url: string;
  apps: ShardApp[];
  samples: Samples;
  sink: RecordSink;
  clock: ShardClock;
  warn: (message: string) => void;
}

interface RunningApp extends ShardApp {
  pool: ConnectionPool;
  queries: RunningQuery[];
}

/** What the hot path needs of a query, worked out once. */
interface RunningQuery {
  spec: QuerySpec;
  /** index in the app's queries */
  index: number;
  /** application_name while it runs */
  tag: string;
  mode: 'transaction' | 'autocommit';
  /** prepared: its statement names */
  names: string[] | undefined;
}

export class Shard {
  private apps: RunningApp[] = [];
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: ShardOptions) {}

  /** Open (and so warm) every connection: connecting is not measured as latency. */
  async open(): Promise<void> {
    const { url, clock, warn } = this.options;
    const opened: RunningApp[] = [];
    try {
      for (const app of this.options.apps) {
        const pool = new ConnectionPool({
          url,
          size: app.clients,
          applicationName: appTag(app.spec.name),
          statementTimeoutMs: app.spec.statementTimeoutMs,
          lifetimeMs: app.spec.connectionLifetimeMs,
          now: clock.now,
          onError: (err) => warn(`traffic ${app.spec.name}: connection lost: ${describeError(err)}`),
        });
        await pool.start();
        const queries = app.spec.queries.map((spec, index) => ({
          spec,
          index,
          tag: appTag(app.spec.name, spec.name),
          mode: spec.transaction ? ('transaction' as const) : ('autocommit' as const),
          names: spec.prepared ? statementNames(spec) : undefined,
        }));
        opened.push({ ...app, pool, queries });
      }
    } catch (err) {
      await Promise.allSettled(opened.map((a) => a.pool.end()));
      throw err;
    }
    this.apps = opened;
  }

  /** Start issuing; t0 is the epoch ms open-loop schedules count from. */
  start(t0: number): void {
    for (const app of this.apps) {
      const closed = app.queries.filter((q) => q.spec.rate === null);
      let next = 0;
      for (let w = 0; w < app.clients && closed.length > 0; w++) {
        this.loops.push(
          (async () => {
            while (!this.halted()) {
              const q = closed[next++ % closed.length]!;
              const didIo = await this.execute(app, q, null);
              if (!didIo && !this.stopping) await sleep(100);
            }
          })(),
        );
      }
      for (const q of app.queries) if (q.spec.rate !== null) this.openLoop(app, q, t0);
    }
  }

  private openLoop(app: RunningApp, q: RunningQuery, t0: number) {
    const { now } = this.options.clock;
    const rate = q.spec.rate!;
    const interval = (1000 / rate) * app.of;
    const first = t0 + (app.slot * 1000) / rate;
    const cap = Math.ceil(Math.max(100, Math.ceil(rate * 30)) / app.of);
    const qi = q.index;
    let k = 0;
    let waiting = 0;
    const tick = () => {
      if (this.halted()) return;
      const t = now();
      for (let intended = first + k * interval; intended <= t; intended = first + ++k * interval) {
        if (waiting >= cap) {
          this.options.sink.dropped(app.index, qi);
          continue;
        }
        waiting += 1;
        this.track(this.execute(app, q, intended).finally(() => (waiting -= 1)));
      }
      this.scheduleAt(first + k * interval, tick);
    };
    tick();
  }

  /** One execution of q; `intended` is the scheduled start for open loop. Returns false when it did no I/O. */
  private async execute(app: RunningApp, q: RunningQuery, intended: number | null): Promise<boolean> {
    const { now, phase } = this.options.clock;
    const { sink, samples } = this.options;
    const issuedIn = phase();
    let values;
    try {
      values = drawExecution(q.spec, samples);
    } catch (err) {
      const e = err as SampleError;
      sink.record(app.index, q.index, issuedIn, now(), 0, { ok: false, sqlstate: e.sqlstate ?? 'SAMPLE', message: e.message });
      return false;
    }
    let conn: PooledConnection;
    try {
      conn = app.pool.take() ?? (await app.pool.acquire());
    } catch (err) {
      const t = now();
      sink.record(app.index, q.index, issuedIn, t, t - (intended ?? t), { ok: false, sqlstate: 'CLIENT', message: describeError(err) });
      return false;
    }
    let outcome: Outcome;
    let start = now();
    try {
      if (conn.tag !== q.tag) {
        await conn.client.exec('SELECT set_config($1, $2, false)', ['application_name', q.tag]);
        conn.tag = q.tag;
        start = now();
      }
      outcome = await runExecution(conn.client, q.spec.steps, values, q.mode, q.names);
    } catch (err) {
      outcome = { ok: false, sqlstate: 'CLIENT', message: describeError(err) };
    }
    const end = now();
    app.pool.release(conn, isConnectionFailure(outcome));
    sink.record(app.index, q.index, issuedIn, end, end - (intended ?? start), outcome);
    return true;
  }

  private halted(): boolean {
    return this.stopping || this.options.clock.stopped();
  }

  /** Run fn at epoch ms `when` (timers may fire a fraction of a millisecond early: re-arm then). */
  private scheduleAt(when: number, fn: () => void) {
    const { now } = this.options.clock;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (now() < when && !this.stopping) this.scheduleAt(when, fn);
        else fn();
      },
      Math.max(0, when - now()),
    );
    this.timers.add(timer);
  }

  private track<T>(p: Promise<T>) {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /**
   * Stop issuing, wait for the executions in flight (cancelling those running after drainMs; those
   * waiting for a connection then run), close the connections. Resolves once every execution is
   * recorded.
   */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const pending = () => Promise.allSettled([...this.loops, ...this.inFlight]);
    if ((await Promise.race([pending().then(() => true), sleep(drainMs).then(() => false)])) === false) {
      this.options.warn(`traffic: executions still running ${drainMs} ms after stop; cancelling them`);
      await cancelBackends(
        this.options.url,
        this.apps.flatMap((a) => [...a.pool.pids]),
      );
      await pending();
    }
    await Promise.allSettled(this.apps.map((a) => a.pool.end()));
  }
}

export async function cancelBackends(url: string, pids: number[]) {
  if (pids.length === 0) return;
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
