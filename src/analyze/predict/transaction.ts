/**
 * Lock holds follow the transaction: a statement's locks are held from its start until its
 * transaction ends, so at production size a lock taken early is held for the predicted duration of
 * everything after it in the same transaction. The measured gaps (round trips, the commit) are
 * kept as measured. Pure.
 */
export interface HoldInput {
  durationMs: number;
  /** measured: from the statement's start to its transaction's end (0: it took no lock) */
  lockHeldMs: number;
  predictedMs: number;
}

/** Predicted lock holds of the statements of one transaction unit, in their order. */
export function predictHolds(unit: HoldInput[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < unit.length; i++) {
    const s = unit[i]!;
    if (s.lockHeldMs <= 0) {
      out.push(0);
      continue;
    }
    let extra = 0;
    for (let j = i; j < unit.length; j++) extra += unit[j]!.predictedMs - unit[j]!.durationMs;
    out.push(Math.max(0, s.lockHeldMs + extra));
  }
  return out;
}

/**
 * Group statement indexes into transaction units: `unitOf(index)` gives each statement's unit
 * number (the replay's planUnits); statements with no unit are each their own.
 */
export function groupByUnit<T extends { index: number }>(statements: T[], unitOf: (index: number) => number | undefined): T[][] {
  const groups = new Map<string, T[]>();
  for (const s of statements) {
    const u = unitOf(s.index);
    const key = u === undefined ? `s${s.index}` : `u${u}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}
