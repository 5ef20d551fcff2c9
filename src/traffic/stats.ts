import { newHistogram, percentileMs, round, toMicros, type Histogram } from './histogram.ts';
import { TimelineRecorder } from './timeline.ts';
import type { FailureSample, LatencySummary, PhaseLatency, QueryResult } from './types.ts';

/** What one execution ended with. */
export interface Outcome {
  ok: boolean;
  /** SQLSTATE or pseudo-state (EXPECT, CLIENT, SAMPLE) when not ok */
  sqlstate?: string;
  message?: string;
}

const TIMEOUT_STATES = new Set(['57014', '55P03']);
const MAX_FAILURE_SAMPLES = 20;

/** Counts and an HDR histogram: constant memory however many executions. */
export class LatencyRecorder {
  private readonly hist: Histogram;
  private count = 0;
  private ok = 0;
  private timeouts = 0;
  private maxMs = 0;
  private sumMs = 0;
  private readonly errors = new Map<string, number>();

  constructor(buckets: 'packed' | 'dense' = 'packed') {
    this.hist = newHistogram(buckets);
  }

  record(ms: number, outcome: Outcome): void {
    this.hist.recordValue(toMicros(ms));
    this.count += 1;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
    if (outcome.ok) {
      this.ok += 1;
      return;
    }
    const state = outcome.sqlstate ?? 'CLIENT';
    this.errors.set(state, (this.errors.get(state) ?? 0) + 1);
    if (TIMEOUT_STATES.has(state)) this.timeouts += 1;
  }

  summary(): LatencySummary {
    const some = this.count > 0;
    return {
      count: this.count,
      ok: this.ok,
      errors: Object.fromEntries(this.errors),
      timeouts: this.timeouts,
      p50Ms: some ? percentileMs(this.hist, 50) : null,
      p95Ms: some ? percentileMs(this.hist, 95) : null,
      p99Ms: some ? percentileMs(this.hist, 99) : null,
      maxMs: some ? round(this.maxMs) : null,
      meanMs: some ? round(this.sumMs / this.count) : null,
    };
  }
}

/** Everything measured of one query: overall, per phase, per second, and its distinct failures. */
export class QueryStats {
  private readonly overall = new LatencyRecorder('dense');
  private readonly phases = new Map<string, LatencyRecorder>();
  private readonly failures: FailureSample[] = [];
  private readonly timeline: TimelineRecorder;
  dropped = 0;

  constructor(
    readonly name: string,
    readonly rate: number | null,
    startedAt: number,
  ) {
    this.timeline = new TimelineRecorder(startedAt);
  }

  /** An execution issued in `phase` that ended at `endedAt` after `ms`; true when its failure is new. */
  record(phase: string, endedAt: number, ms: number, outcome: Outcome): boolean {
    this.overall.record(ms, outcome);
    let recorder = this.phases.get(phase);
    if (!recorder) this.phases.set(phase, (recorder = new LatencyRecorder()));
    recorder.record(ms, outcome);
    this.timeline.record(endedAt, ms, !outcome.ok);
    if (outcome.ok) return false;
    const sqlstate = outcome.sqlstate ?? 'CLIENT';
    const message = outcome.message ?? '';
    const known = this.failures.find((f) => f.sqlstate === sqlstate && f.message === message);
    if (known) {
      known.count += 1;
      return false;
    }
    if (this.failures.length < MAX_FAILURE_SAMPLES) this.failures.push({ sqlstate, message, count: 1 });
    return true;
  }

  result(endedAt: number, phaseOrder: string[]): QueryResult {
    const phases: PhaseLatency[] = [];
    for (const phase of phaseOrder) {
      const recorder = this.phases.get(phase);
      if (recorder) phases.push({ phase, ...recorder.summary() });
    }
    return {
      name: this.name,
      rate: this.rate,
      ...this.overall.summary(),
      dropped: this.dropped,
      failures: this.failures.map((f) => ({ ...f })),
      phases,
      timeline: this.timeline.finish(endedAt),
    };
  }
}
