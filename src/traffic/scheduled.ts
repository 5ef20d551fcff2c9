import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../core/errors.ts';
import { appTag } from '../observe/index.ts';
import { failure, isConnectionFailure } from './execute.ts';
import { newHistogram, percentileMs, round, toMicros, type Histogram } from './histogram.ts';
import { literalsOf, redactMessage } from './log/redact.ts';
import { cancelBackends, type RecordSink } from './shard.ts';
import type { Outcome } from './stats.ts';
import type { LagSummary, ReplayResult, ScheduledStatement, SessionResult, SessionSpec, Workload } from './types.ts';
import { WireConnection } from './wire.ts';

/**
 * Scheduled sessions (a replayed log's): each on its own connection, tagged
 * rehearse/app/<app>/<session> so the sampler attributes its waits, its statements in order, each
 * at t0 + offset ÷ speed (speed 0: back to back), transactions as logged (BEGIN … COMMIT are
 * statements of the session like any other). A statement's latency is its own; its lag is how late
 * it started against its time. Executions are recorded in the driver's statistics as the app's
 * queries (its normalized statements), in the phase current when they start.
 */

export interface ScheduledOptions {
  url: string;
  workload: Workload;
  sink: RecordSink;
  now: () => number;
  /** index of the phase in force; 0 is the baseline */
  phase: () => number;
  warn: (message: string) => void;
}

/** A session is connected this long before its first statement (or its logged connection). */
const LEAD_MS = 200;
/** The baseline's p99 lag above which the replay is said to be behind. */
const BEHIND_P99_MS = 100;

class Lag {
  private readonly hist: Histogram = newHistogram('packed');
  private count = 0;
  private within = 0;
  private max = 0;
  record(ms: number) {
    const lag = Math.max(0, ms);
    this.hist.recordValue(toMicros(lag));
    this.count += 1;
    if (lag <= 10) this.within += 1;
    if (lag > this.max) this.max = lag;
  }
  summary(): LagSummary {
    const some = this.count > 0;
    return {
      count: this.count,
      p50Ms: some ? percentileMs(this.hist, 50) : null,
      p99Ms: some ? percentileMs(this.hist, 99) : null,
      maxMs: some ? round(this.max) : null,
      within10Ms: some ? round(this.within / this.count) : null,
    };
  }
}

interface Running {
  spec: SessionSpec;
  app: number;
  result: SessionResult;
  lag: Lag;
  conn: WireConnection | null;
}

export class ScheduledSessions {
  private readonly speed: number;
  private readonly sessions: Running[];
  private readonly lag = new Lag();
  private readonly baselineLag = new Lag();
  private readonly runs: Promise<void>[] = [];
  private readonly sleeping = new Map<NodeJS.Timeout, () => void>();
  private stopping = false;

  constructor(private readonly options: ScheduledOptions) {
    const { workload } = options;
    this.speed = workload.replay?.speed ?? 1;
    this.sessions = (workload.sessions ?? []).map((spec) => ({
      spec,
      app: workload.apps.findIndex((a) => a.name === spec.app),
      result: {
        name: spec.name,
        app: spec.app,
        user: spec.user,
        application: spec.application,
        statements: spec.statements.length,
        replayed: 0,
        errors: {},
        lag: null,
      },
      lag: new Lag(),
      conn: null,
    }));
  }

  /** Connect the sessions that start within the first second (the rest connect shortly before their time). */
  async open(): Promise<void> {
    const early = this.sessions.filter((s) => this.speed === 0 || s.spec.atMs / this.speed < 1000);
    const opened = await Promise.allSettled(early.map(async (s) => (s.conn = await this.connect(s))));
    const failed = opened.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(this.sessions.map((s) => s.conn?.end()));
      throw failed.reason;
    }
  }

  start(t0: number): void {
    for (const s of this.sessions) this.runs.push(this.run(s, t0));
  }

  /** Resolves once every session has run its last statement and disconnected. */
  done(): Promise<void> {
    return Promise.allSettled(this.runs).then(() => undefined);
  }

  private connect(s: Running): Promise<WireConnection> {
    return WireConnection.open({ connectionString: this.options.url, application_name: appTag(s.spec.app, s.spec.name) }, (err) =>
      this.options.warn(`replay ${s.spec.app}/${s.spec.name}: connection lost: ${describeError(err)}`),
    );
  }

  private async run(s: Running, t0: number): Promise<void> {
    const { now, phase, sink } = this.options;
    const at = (ms: number) => (this.speed === 0 ? 0 : t0 + ms / this.speed);
    if (!s.conn) {
      await this.sleepUntil(at(s.spec.atMs) - LEAD_MS);
      if (this.stopping) return;
      try {
        s.conn = await this.connect(s);
      } catch (err) {
        s.result.errors.CLIENT = 1;
        this.options.warn(`replay ${s.spec.app}/${s.spec.name}: cannot connect: ${describeError(err)}`);
        return;
      }
    }
    const conn = s.conn;
    for (const st of s.spec.statements) {
      const due = at(st.atMs);
      await this.sleepUntil(due);
      if (this.stopping) break;
      const issuedIn = phase();
      const start = now();
      const outcome = await runStatement(conn, st);
      const end = now();
      sink.record(s.app, st.query, issuedIn, end, end - start, outcome);
      s.result.replayed += 1;
      if (!outcome.ok) s.result.errors[outcome.sqlstate!] = (s.result.errors[outcome.sqlstate!] ?? 0) + 1;
      if (this.speed > 0) {
        s.lag.record(start - due);
        this.lag.record(start - due);
        if (issuedIn === 0) this.baselineLag.record(start - due);
      }
      if (isConnectionFailure(outcome) && !conn.alive) break;
    }
    // the connection stays until the session disconnected in the log (an idle session holds its locks)
    await this.sleepUntil(at(s.spec.endMs));
    await conn.end();
  }

  /** Resolves at epoch ms `when` (timers may fire a fraction early: re-armed), or at once when stopping. */
  private sleepUntil(when: number): Promise<void> {
    const { now } = this.options;
    if (this.stopping || now() >= when) return Promise.resolve();
    return new Promise((resolve) => {
      const arm = () => {
        const timer = setTimeout(
          () => {
            this.sleeping.delete(timer);
            if (!this.stopping && now() < when) arm();
            else resolve();
          },
          Math.max(0, when - now()),
        );
        this.sleeping.set(timer, resolve);
      };
      arm();
    });
  }

  /** Stop issuing, wait for the statements in flight (cancelling them after drainMs), close the connections. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    for (const [timer, resolve] of this.sleeping) {
      clearTimeout(timer);
      resolve();
    }
    this.sleeping.clear();
    const pending = () => Promise.allSettled(this.runs);
    if ((await Promise.race([pending().then(() => true), sleep(drainMs).then(() => false)])) === false) {
      this.options.warn(`replay: statements still running ${drainMs} ms after stop; cancelling them`);
      await cancelBackends(
        this.options.url,
        this.sessions.flatMap((s) => (s.conn ? [s.conn.pid] : [])),
      );
      await pending();
    }
    await Promise.allSettled(this.sessions.map((s) => s.conn?.end()));
  }

  result(): ReplayResult {
    const spec = this.options.workload.replay!;
    const errors: Record<string, number> = {};
    for (const s of this.sessions) for (const [code, n] of Object.entries(s.result.errors)) errors[code] = (errors[code] ?? 0) + n;
    const lag = this.speed > 0 ? this.lag.summary() : null;
    const baselineLag = this.speed > 0 ? this.baselineLag.summary() : null;
    const behind =
      baselineLag?.p99Ms != null && baselineLag.p99Ms > BEHIND_P99_MS
        ? `the replay fell behind the log's schedule before any migration ran (p99 lag ${baselineLag.p99Ms} ms, max ${baselineLag.maxMs} ms): this machine or server cannot keep up with the log, so the waits measured during the migrations understate production's; replay a shorter window, or at --replay-speed below 1, or on a bigger machine`
        : null;
    return {
      file: spec.file,
      format: spec.format,
      speed: spec.speed,
      windowMs: round(spec.windowMs),
      lines: spec.lines,
      skipped: { ...spec.skipped },
      unreadable: spec.unreadable,
      statements: this.sessions.reduce((n, s) => n + s.result.statements, 0),
      replayed: this.sessions.reduce((n, s) => n + s.result.replayed, 0),
      errors,
      lag,
      baselineLag,
      behind,
      sessions: this.sessions.map((s) => ({ ...s.result, lag: this.speed > 0 ? s.lag.summary() : null })),
    };
  }
}

const OK: Outcome = Object.freeze({ ok: true });

/** One logged statement as it was sent: the simple protocol, or the extended one with its parameters. A failure's message is masked of the statement's literals. */
function runStatement(conn: WireConnection, st: ScheduledStatement): Promise<Outcome> {
  return new Promise((resolve) => {
    conn.run(st.sql, st.params ?? [], undefined, false, (err) => {
      if (!err) return resolve(OK);
      const outcome = failure(err);
      resolve({ ...outcome, message: redactMessage(outcome.message ?? '', literalsOf(st.sql, st.params)) });
    });
  });
}
