import type { BasisPoint, Growth } from './types.ts';

/**
 * Fit t = b·g(n) (or t = a + b·g(n) with `intercept`) by least squares over measured points,
 * a ≥ 0 and b ≥ 0 (g(n) = n for linear, n·log2 n for sorts), and predict at a new size with an
 * interval. Pure. Predictions fit through the origin: a data-dependent statement's fixed part is
 * small next to its data part at the sizes worth predicting, and a free intercept fitted over a
 * narrow range of sizes lets the noise of each point swing the slope (docs/predictions.md).
 */
export interface Fit {
  a: number;
  b: number;
  growth: Growth;
  /** relative RMS of the residuals (0 with two points or fewer: nothing left to judge) */
  relResidual: number;
  /** the slope came out negative (time did not grow with size): the fit is the mean */
  flat: boolean;
  predict(rows: number): number;
}

export const g = (growth: Growth, n: number): number => (growth === 'n log n' ? n * Math.log2(Math.max(n, 2)) : growth === 'linear' ? n : 0);

export function fit(points: BasisPoint[], growth: Growth, options: { intercept?: boolean } = {}): Fit {
  const xs = points.map((p) => g(growth, p.rows));
  const ys = points.map((p) => p.ms);
  const k = points.length;
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  let a: number;
  let b: number;
  let flat = false;
  const distinct = new Set(xs).size;
  if (growth === 'none' || k === 0) {
    a = k ? mean(ys) : 0;
    b = 0;
  } else if (distinct < 2 || !options.intercept) {
    // proportional through the origin: b = Σxy / Σx², dominated by the largest sizes (one size:
    // a one-point guess, said by the caller)
    a = 0;
    b =
      xs.reduce((s, x, i) => s + x * ys[i]!, 0) /
      Math.max(
        xs.reduce((s, x) => s + x * x, 0),
        1e-9,
      );
  } else {
    const mx = mean(xs);
    const my = mean(ys);
    const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const sxy = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0);
    b = sxy / sxx;
    a = my - b * mx;
    if (b < 0) {
      flat = true;
      b = 0;
      a = my;
    } else if (a < 0) {
      // a negative fixed cost means noise: refit through the origin
      a = 0;
      b = xs.reduce((s, x, i) => s + x * ys[i]!, 0) / xs.reduce((s, x) => s + x * x, 0);
    }
  }
  const at = (rows: number) => a + b * g(growth, rows);
  const rel = points.map((p) => (p.ms > 0 ? (p.ms - at(p.rows)) / p.ms : 0));
  const relResidual = k > 2 ? Math.sqrt(rel.reduce((s, r) => s + r * r, 0) / k) : 0;
  return { a, b, growth, relResidual, flat, predict: at };
}

/**
 * Relative noise of repeated measurement: points measured twice at the same fraction (a repeated
 * calibration replay on another sample). The spread of each pair relative to its mean, as one standard deviation;
 * null when nothing was repeated.
 */
export function repeatNoise(points: BasisPoint[]): number | null {
  const bySize = new Map<number, number[]>();
  for (const p of points) bySize.set(p.fraction, [...(bySize.get(p.fraction) ?? []), p.ms]);
  const rel: number[] = [];
  for (const ms of bySize.values()) {
    if (ms.length < 2) continue;
    const m = ms.reduce((s, x) => s + x, 0) / ms.length;
    if (m <= 0) continue;
    const sd = Math.sqrt(ms.reduce((s, x) => s + (x - m) ** 2, 0) / (ms.length - 1));
    rel.push(sd / m);
  }
  return rel.length ? Math.max(...rel) : null;
}

export interface Extrapolation {
  center: number;
  low: number;
  high: number;
  fit: Fit;
  /** target rows over the largest measured rows */
  factor: number;
  /** the noise the interval was widened by (relative, one standard deviation) */
  noise: number;
}

/**
 * Predict at `rows` from the points: the fit of all points is the centre (through the origin, but with
 * its fixed part when that is most of the time or when the sizes span 10× or more and pin it); the interval spans the
 * fits that leave one point out (how much the answer depends on each measurement), widened by two
 * standard deviations of the measurement noise (repeats, else the fit's residuals).
 */
export function extrapolate(all: BasisPoint[], growth: Growth, rows: number): Extrapolation {
  // repeated measurements at one size (the same fraction) enter the fit as their mean; their
  // spread is the noise that widens the interval
  const points = representative(all);
  const maxRows = Math.max(...points.map((p) => p.rows), 1);
  // mostly a fixed cost (the fixed part of a free fit is over half the time at the largest size,
  // or the time fell with size): keep the fixed part; else through the origin
  const free = fit(points, growth, { intercept: true });
  // sizes spanning 10× or more (a calibration point far below the rest) pin the fixed part: keep it
  const minRows = Math.min(...points.map((p) => p.rows));
  const spans = minRows > 0 && maxRows / minRows >= 10 && free.a > 0;
  // two sizes determine a line exactly: its fixed part is as much the noise of two readings as a
  // cost, so a fixed part is kept only from three sizes on (a time that fell is still seen: flat)
  const sizes = new Set(points.map((p) => p.rows)).size;
  const intercept = free.flat || (sizes >= 3 && (free.a > 0.5 * free.predict(maxRows) || spans));
  const fitAll = intercept ? free : fit(points, growth);
  const center = fitAll.predict(rows);
  let low = center;
  let high = center;
  if (growth !== 'none' && points.length >= 2) {
    // (two points: each alone, scaled in proportion — how far apart their costs per row are)
    for (let i = 0; i < points.length; i++) {
      const rest = points.filter((_, j) => j !== i);
      const v = fit(rest, growth, { intercept: intercept && new Set(rest.map((p) => p.rows)).size >= 2 }).predict(rows);
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
  }
  const noise = repeatNoise(all) ?? fitAll.relResidual;
  return {
    center,
    low: Math.max(0, low * (1 - 2 * noise)),
    high: high * (1 + 2 * noise),
    fit: fitAll,
    factor: rows / maxRows,
    noise,
  };
}

/**
 * One point per fraction: the mean of the measurements repeated there (rows and time). Beside a
 * whole-table sample — a clone prepared as the other samples are — the rehearsal's own reading (a
 * fresh server, the calibration clone made just before it) is left out: the fit stands on points
 * prepared alike, and the rehearsal's reading still counts in the noise.
 */
export function representative(points: BasisPoint[]): BasisPoint[] {
  const groups = new Map<number, BasisPoint[]>();
  for (const p of points) groups.set(p.fraction, [...(groups.get(p.fraction) ?? []), p]);
  const out: BasisPoint[] = [];
  for (const group of groups.values()) {
    const alike = group.some((p) => p.source === 'sample') ? group.filter((p) => p.source === 'sample') : group;
    const mean = (f: (p: BasisPoint) => number) => alike.reduce((sum, p) => sum + f(p), 0) / alike.length;
    out.push(alike.length === 1 ? alike[0]! : { ...alike[0]!, rows: Math.round(mean((p) => p.rows)), ms: mean((p) => p.ms) });
  }
  return out;
}
