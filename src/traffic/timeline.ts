import { newHistogram, percentileMs, round, toMicros, type Histogram } from './histogram.ts';
import type { Timeline, TimelineBucket } from './types.ts';

/**
 * Executions per time bucket, by completion time (like pgbench --progress): count, errors, p99 and
 * max. Buckets start at one second; when `maxBuckets` are filled, neighbours are merged and the
 * width doubles, so a run of any length keeps at most `maxBuckets`. Seconds with no completion are
 * kept as empty buckets: a stall shows.
 */
export class TimelineRecorder {
  private bucketMs: number;
  private readonly buckets: TimelineBucket[] = [];
  private readonly hist: Histogram = newHistogram('dense');
  private count = 0;
  private errors = 0;
  private maxMs = 0;

  constructor(
    private readonly t0: number,
    bucketMs = 1000,
    private readonly maxBuckets = 1800,
  ) {
    if (maxBuckets < 2 || maxBuckets % 2 !== 0) throw new Error('maxBuckets must be even and >= 2');
    this.bucketMs = bucketMs;
  }

  record(t: number, ms: number, error: boolean): void {
    this.advanceTo(t);
    this.hist.recordValue(toMicros(ms));
    this.count += 1;
    if (error) this.errors += 1;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** Close the bucket in progress at `t` and return the timeline (the recorder is done after this). */
  finish(t: number): Timeline {
    this.advanceTo(t);
    this.close(false);
    return { bucketMs: this.bucketMs, buckets: this.buckets.map((b) => ({ ...b })) };
  }

  /** The bucket in progress is always number `buckets.length`; close buckets until it holds t. */
  private advanceTo(t: number): void {
    while (Math.floor((t - this.t0) / this.bucketMs) > this.buckets.length) this.close();
  }

  private close(compact = true): void {
    const some = this.count > 0;
    this.buckets.push({
      t: this.t0 + this.buckets.length * this.bucketMs,
      count: this.count,
      errors: this.errors,
      p99Ms: some ? percentileMs(this.hist, 99) : null,
      maxMs: some ? round(this.maxMs) : null,
    });
    this.hist.reset();
    this.count = 0;
    this.errors = 0;
    this.maxMs = 0;
    if (compact && this.buckets.length >= this.maxBuckets) this.compact();
  }

  private compact(): void {
    const merged: TimelineBucket[] = [];
    for (let i = 0; i < this.buckets.length; i += 2) merged.push(mergeBuckets(this.buckets[i]!, this.buckets[i + 1]));
    this.buckets.splice(0, this.buckets.length, ...merged);
    this.bucketMs *= 2;
  }
}

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

function mergeBuckets(a: TimelineBucket, b: TimelineBucket | undefined): TimelineBucket {
  if (!b) return a;
  return { t: a.t, count: a.count + b.count, errors: a.errors + b.errors, p99Ms: maxOf(a.p99Ms, b.p99Ms), maxMs: maxOf(a.maxMs, b.maxMs) };
}
