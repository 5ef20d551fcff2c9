import hdr from 'hdr-histogram-js';
import { round } from '../core/numbers.ts';

/**
 * An HDR histogram of latencies in microseconds: 3 significant digits from 1 µs to an hour (it
 * grows past that), packed buckets, a few kB whatever the number of values.
 */
export type Histogram = ReturnType<typeof hdr.build>;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

export const toMicros = (ms: number) => Math.max(1, Math.round(ms * 1000));
export const percentileMs = (h: Histogram, p: number) => round(h.getValueAtPercentile(p) / 1000);
export { round };
