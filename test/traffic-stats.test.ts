import { describe, expect, it } from 'vitest';
import { LatencyRecorder, QueryStats } from '../src/traffic/stats.ts';
import { TimelineRecorder } from '../src/traffic/timeline.ts';

describe('latency recording is bounded', () => {
  it('percentiles from an HDR histogram; errors by SQLSTATE; timeouts', () => {
    const r = new LatencyRecorder();
    for (let i = 1; i <= 1000; i++) r.record(i / 10, { ok: true });
    r.record(2000, { ok: false, sqlstate: '57014', message: 'canceling statement due to statement timeout' });
    r.record(5, { ok: false, sqlstate: 'EXPECT', message: 'expected rows >= 1, got 0' });
    const s = r.summary();
    expect(s).toMatchObject({ count: 1002, ok: 1000, errors: { '57014': 1, EXPECT: 1 }, timeouts: 1, maxMs: 2000 });
    expect(s.p50Ms).toBeCloseTo(50, 0);
    expect(s.p99Ms).toBeCloseTo(99, 0);
  });

  it('per-phase summaries in phase order; distinct failures are capped', () => {
    const q = new QueryStats('q', null, 0);
    q.record('baseline', 10, 1, { ok: true });
    q.record('001#0', 20, 900, { ok: true });
    for (let i = 0; i < 100; i++) q.record('after', 30, 1, { ok: false, sqlstate: '42703', message: `column c${i} does not exist` });
    q.record('after', 30, 1, { ok: false, sqlstate: '42703', message: 'column c0 does not exist' });
    const r = q.result(40, ['baseline', '001#0', 'after']);
    expect(r.phases.map((p) => [p.phase, p.count, p.maxMs])).toEqual([
      ['baseline', 1, 1],
      ['001#0', 1, 900],
      ['after', 101, 1],
    ]);
    expect(r.failures).toHaveLength(20);
    expect(r.failures[0]).toEqual({ sqlstate: '42703', message: 'column c0 does not exist', count: 2 });
  });

  it('the timeline keeps empty seconds and merges buckets to stay under its limit', () => {
    const t = new TimelineRecorder(0, 1000, 4);
    t.record(100, 5, false);
    t.record(2500, 700, true); // second 1 is empty: a stall shows
    expect(new TimelineRecorder(0).finish(0).buckets).toEqual([{ t: 0, count: 0, errors: 0, p99Ms: null, maxMs: null }]);
    for (let s = 3; s < 50; s++) t.record(s * 1000 + 1, 1, false);
    const timeline = t.finish(50_000);
    expect(timeline.buckets.length).toBeLessThanOrEqual(4);
    expect(timeline.bucketMs).toBe(16_000);
    expect(timeline.buckets[0]).toMatchObject({ t: 0, count: 15, errors: 1, maxMs: 700 });
    expect(timeline.buckets.reduce((n, b) => n + b.count, 0)).toBe(49);
  });
});
