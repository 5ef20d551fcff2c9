import type { ReportStatement } from '../model/types.ts';

/**
 * How every renderer shows a prediction beside the measurement (docs/predictions.md):
 * "measured 125 s at 1M rows · predicted 3.4 h (2.9–4.1 h) at 120M rows". Pure.
 */

/** 0.7 ms, 312 ms, 12.3 s, 4.2 min, 3.4 h, 2.1 d */
export function fmtSpan(v: number): string {
  if (v >= 172_800_000) return `${(v / 86_400_000).toFixed(1)} d`;
  if (v >= 7_200_000) return `${(v / 3_600_000).toFixed(1)} h`;
  if (v >= 120_000) return `${(v / 60_000).toFixed(1)} min`;
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1) return `${Math.round(v)} ms`;
  return `${v.toFixed(1)} ms`;
}

/** 950, 12k, 1.5M, 120M, 2.3B */
export function fmtRows(n: number): string {
  const short = (v: number, unit: string) => `${v >= 100 ? Math.round(v) : Number(v.toPrecision(2))}${unit}`;
  if (n >= 1e9) return short(n / 1e9, 'B');
  if (n >= 1e6) return short(n / 1e6, 'M');
  if (n >= 1e4) return short(n / 1e3, 'k');
  return String(Math.round(n));
}

type Predicted = Pick<ReportStatement, 'durationMs' | 'lockHeldMs' | 'predicted'>;

/** The statements whose prediction differs from the measurement (data-dependent ones). */
export const scaled = (s: Predicted): boolean => Boolean(s.predicted && s.predicted.model !== 'constant' && s.predicted.targetRows !== null);

/** "predicted 3.4 h (80 %: 2.9–4.1 h) at 120M rows, lock held 3.4 h · untrusted: regime crossed (checkpoints)"; null: nothing predicted beyond the measurement. */
export function predictedText(s: Predicted): string | null {
  const p = s.predicted;
  if (!p || !scaled(s)) return null;
  const interval = p.low !== p.high ? ` (${p.coverage ? `${Math.round(p.coverage * 100)} %: ` : ''}${fmtSpan(p.low)}–${fmtSpan(p.high)})` : '';
  const hold = p.lockHeldMs > 0 ? `, lock held ${fmtSpan(p.lockHeldMs)}` : '';
  return `predicted ${fmtSpan(p.durationMs)}${interval} at ${fmtRows(p.targetRows!)} rows${hold}${p.trust ? ` · ${untrustedTag(p)}` : ''}`;
}

/** "untrusted: regime crossed (shared_buffers, checkpoints)" when an uncalibrated regime is why, else "untrusted". */
function untrustedTag(p: NonNullable<Predicted['predicted']>): string {
  const crossed = (p.regimes ?? []).filter((r) => r.material && !r.calibrated).map((r) => r.regime);
  return crossed.length ? `untrusted: regime crossed (${crossed.join(', ')})` : 'untrusted';
}

/** "measured 125 s at 1M rows · predicted 3.4 h (2.9–4.1 h) at 120M rows, …" */
export function measuredAndPredicted(s: Predicted): string | null {
  const predicted = predictedText(s);
  if (!predicted) return null;
  const rows = s.predicted!.measuredRows;
  return `measured ${fmtSpan(s.durationMs)}${rows !== null ? ` at ${fmtRows(rows)} rows` : ''} · ${predicted}`;
}

/** Why a prediction is not trusted, in one line ('' when it is). */
export const untrustedWhy = (s: Predicted): string => (s.predicted?.trust ? s.predicted.trust.reasons.join('; ') : '');
