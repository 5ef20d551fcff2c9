import { fmtBytes, type RegimeSettings } from './settings.ts';
import type { CostModel, RegimeCheck, RegimeName } from './types.ts';

/**
 * Regimes that change with size (docs/predictions.md "Regimes"): a statement whose table fits in
 * shared_buffers in the rehearsal and not in production, whose WAL crosses the checkpoint distance,
 * whose sort spills past maintenance_work_mem, whose index build gets parallel workers, whose
 * working set leaves the machine's cache. Each measured point and the target are placed on a side
 * of each boundary; where production lies on the other side from the rehearsal the boundary is
 * crossed. Pure.
 */
export interface RegimeInput {
  model: CostModel;
  /** the driving table's bytes per row in the rehearsal (heap, indexes, TOAST) */
  bytesPerRow: number;
  /** production's bytes per row over the rehearsal's (1: rows only) */
  width: number;
  targetRows: number;
  /** the fitted duration at the target (for checkpoint_timeout) */
  targetMs: number;
  /** the measured points: the rehearsal's first; `settings`: those it ran on (a scaled calibration replay), else the rehearsal's */
  points: { rows: number; ms: number; walBytes: number | null; settings?: RegimeSettings }[];
  rehearsal: RegimeSettings;
  production: RegimeSettings;
  /** bytes of one sort entry (index builds): key width plus the tuple's overhead */
  sortEntryBytes: number;
}

/** What a crossed regime does to an interval the model could not calibrate: multipliers of low and high. */
export interface RegimeEffect {
  check: RegimeCheck;
  /** multiplier of the centre (1 but for a modelled step: parallel workers) */
  center: number;
  low: number;
  high: number;
  /** how to calibrate across it: the setting scaled to the rehearsal (null: not by a setting) */
  hint: string | null;
  /** per point (same order as input.points): on production's side of this boundary */
  far: boolean[];
  /** how far past the boundary each point and the target lie (absent: not measured by depth) */
  depth?: { points: (number | null)[]; target: number | null };
}

/**
 * The result: the boundaries production lies past and some measured point does not (crossed, as seen
 * from that point), and which measured points lie on production's side of all of them.
 */
export interface RegimeResult {
  crossed: RegimeEffect[];
  /** per point (same order as input.points): on production's side of every boundary some point is not */
  farSide: boolean[];
  /** WAL per row measured (median over the points), null when not measured */
  walPerRow: number | null;
}

interface Boundary {
  regime: RegimeName;
  /** a value per side: points and target on the same side have equal values */
  side(at: At): string | number | boolean | null;
  describe(target: At, rehearsal: At): string;
  /** production's setting scaled by the rehearsal's bytes over production's */
  hint?(target: At, scale: number): string | null;
  material: boolean;
  low: number;
  high: number;
  /** a modelled step: multipliers of the centre, low and high from both sides (replaces low/high) */
  adjust?(target: At, near: At): { center: number; low: number; high: number };
  /** how far past the boundary (1: at it), where a setting's floor can keep a sample less deep than production */
  depth?(at: At): number | null;
}

interface At {
  rows: number;
  ms: number;
  wal: number | null;
  /** bytes of the table at this size */
  bytes: number;
  s: RegimeSettings;
}

/** Workers an index build plans (plan_create_index_workers): log₃ of the heap over min_parallel_table_scan_size, capped. */
export function indexWorkers(heapBytes: number, s: RegimeSettings): number | null {
  if (s.maxParallelMaintenanceWorkers === null) return null;
  const min = Math.max(s.minParallelTableScanSize ?? 8 * 1024 * 1024, 8192);
  if (heapBytes < min) return 0;
  let w = 1;
  let threshold = min;
  while (heapBytes >= threshold * 3) {
    w++;
    threshold *= 3;
  }
  w = Math.min(w, s.maxParallelMaintenanceWorkers);
  const mwm = s.maintenanceWorkMem ?? 64 * 1024 * 1024;
  // each participant (the leader too) needs 32 MB of maintenance_work_mem
  while (w > 0 && mwm / (w + 1) < 32 * 1024 * 1024) w--;
  return w;
}

/** Settings scaled to a fifth of the rehearsal's size: its 25 % and 50 % samples then cross them as production does. */
const CALIBRATION_SCALE = 0.2;

/** "--pg-setting name=value" for production's value scaled down, or why it cannot be (below the setting's floor). */
function scaled(name: string, value: number | null, scale: number, floor: number): string | null {
  if (value === null) return null;
  const v = value * scale;
  if (v < floor)
    return `${name} scaled to this rehearsal (${fmtBytes(v)}) is below its floor of ${fmtBytes(floor)}: rehearse on more rows to calibrate across it`;
  return `to calibrate across it, rehearse with --pg-setting ${name}=${Math.max(1, Math.round(v / 1024))}kB (production's, scaled to a fifth of the rehearsal's size so the calibration samples cross it)`;
}

/** Bytes of WAL between checkpoints: max_wal_size / (1 + checkpoint_completion_target). */
export const checkpointDistance = (s: RegimeSettings): number | null =>
  s.checkpointEvery ?? (s.maxWalSize === null ? null : s.maxWalSize / (1 + (s.checkpointCompletionTarget ?? 0.9)));

function boundaries(model: CostModel, sortEntryBytes: number): Boundary[] {
  const out: Boundary[] = [];
  const updates = model === 'row-updates';
  // a row update keeps the old and the new version: twice the table is dirtied
  const dirty = (a: At) => (updates ? 2 * a.bytes : a.bytes);
  if (updates) {
    out.push({
      regime: 'shared_buffers',
      material: true,
      low: 1,
      high: 4,
      side: (a) => (a.s.sharedBuffers === null ? null : dirty(a) > a.s.sharedBuffers),
      depth: (a) => (a.s.sharedBuffers ? dirty(a) / a.s.sharedBuffers : null),
      hint: (t, k) => scaled('shared_buffers', t.s.sharedBuffers, k, 128 * 1024),
      describe: (t, r) =>
        `the rows it writes (about ${fmtBytes(dirty(t))} with the old versions) outgrow shared_buffers (${fmtBytes(t.s.sharedBuffers!)}) in production; in the rehearsal ${fmtBytes(dirty(r))} fit in ${fmtBytes(r.s.sharedBuffers!)}: dirty pages are evicted and written by the statement itself`,
    });
  } else if (model !== 'constant') {
    // a scan does nothing but read: its cost per row is the read's (the bench: 2–3× out of the ring);
    // a rewrite's or an index build's is mostly its writing and sorting
    const scan = model === 'full-scan';
    out.push({
      regime: 'shared_buffers',
      material: scan,
      low: 1,
      high: scan ? 3 : 1.5,
      side: (a) => (a.s.sharedBuffers === null ? null : a.bytes > a.s.sharedBuffers / 4),
      depth: (a) => (a.s.sharedBuffers ? a.bytes / (a.s.sharedBuffers / 4) : null),
      hint: (t, k) => scaled('shared_buffers', t.s.sharedBuffers, k, 128 * 1024),
      describe: (t, r) =>
        `the table (${fmtBytes(t.bytes)}) is over a quarter of shared_buffers (${fmtBytes(t.s.sharedBuffers!)}) in production: it is read through a small ring from the OS cache; in the rehearsal (${fmtBytes(r.bytes)}) from shared_buffers`,
    });
  }
  if (model !== 'constant')
    out.push({
      regime: 'memory',
      material: true,
      low: 1,
      high: 4,
      side: (a) => (a.s.effectiveCacheSize === null ? null : dirty(a) > a.s.effectiveCacheSize),
      describe: (t, r) =>
        `the working set (${fmtBytes(dirty(t))}) is over effective_cache_size (${fmtBytes(t.s.effectiveCacheSize!)}) in production: read from disk, not from memory as in the rehearsal (${fmtBytes(dirty(r))})`,
    });
  if (model === 'row-updates' || model === 'table-rewrite' || model === 'index-build' || model === 'concurrent-index-build')
    out.push({
      regime: 'checkpoints',
      material: updates,
      low: 1,
      high: updates ? 2.5 : 1.3,
      hint: (t, k) => scaled('max_wal_size', t.s.maxWalSize, k, 32 * 1024 * 1024),
      side: (a) => {
        const d = checkpointDistance(a.s);
        const byWal = d === null || a.wal === null ? null : a.wal > d;
        const byTime = a.s.checkpointTimeout === null ? null : a.ms > a.s.checkpointTimeout;
        return byWal === null && byTime === null ? null : Boolean(byWal || byTime);
      },
      describe: (t, r) => {
        const d = checkpointDistance(t.s);
        const n = d !== null && t.wal !== null ? Math.floor(t.wal / d) : null;
        const why =
          d !== null && t.wal !== null && t.wal > d
            ? `its WAL (about ${fmtBytes(t.wal)}) is over the checkpoint distance of max_wal_size ${fmtBytes(t.s.maxWalSize!)} (a checkpoint every ${fmtBytes(d)}: about ${n} during the statement${t.s.fullPageWrites === false ? '' : ', each followed by full-page writes'})`
            : `it runs longer than checkpoint_timeout (${Math.round(t.s.checkpointTimeout! / 1000)} s)`;
        return `${why} in production; the rehearsal's ${r.wal !== null ? fmtBytes(r.wal) : 'statement'} ran without a checkpoint`;
      },
    });
  if (model === 'index-build' || model === 'concurrent-index-build') {
    out.push({
      regime: 'sort memory',
      material: false,
      low: 0.8,
      high: 1.5,
      side: (a) => (a.s.maintenanceWorkMem === null ? null : a.rows * sortEntryBytes > a.s.maintenanceWorkMem),
      hint: (t, k) => scaled('maintenance_work_mem', t.s.maintenanceWorkMem, k, 1024 * 1024),
      describe: (t, r) =>
        `its sort (about ${fmtBytes(t.rows * sortEntryBytes)}) spills past maintenance_work_mem (${fmtBytes(t.s.maintenanceWorkMem!)}) in production: an external sort; in the rehearsal ${fmtBytes(r.rows * sortEntryBytes)} sorted in memory`,
    });
    out.push({
      regime: 'parallel workers',
      material: true,
      low: 1 / 3,
      high: 1.2,
      side: (a) => indexWorkers(a.bytes, a.s),
      // each worker taken as half a participant more (the sort and the scan split, the merge not):
      // the centre moves by that, the interval spans from perfect scaling to none
      adjust: (t, r) => {
        const wt = indexWorkers(t.bytes, t.s) ?? 0;
        const wr = indexWorkers(r.bytes, r.s) ?? 0;
        return { center: (1 + 0.5 * wr) / (1 + 0.5 * wt), low: ((1 + wr) / (1 + wt)) * 0.9, high: 1.2 };
      },
      describe: (t, r) =>
        `production's build plans ${indexWorkers(t.bytes, t.s)} parallel worker(s) (max_parallel_maintenance_workers ${t.s.maxParallelMaintenanceWorkers}, a ${fmtBytes(t.bytes)} table), the rehearsal's ${indexWorkers(r.bytes, r.s)}: the speed-up was never measured`,
    });
  }
  if (model === 'table-rewrite')
    out.push({
      regime: 'parallel workers',
      material: true,
      low: 1 / 3,
      high: 1,
      side: (a) => indexWorkers(a.bytes, a.s),
      // the rewrite rebuilds every index of the table; how much of its time those builds are was not
      // measured: the centre stays, the interval reaches down to the whole rewrite sped up
      adjust: (t, r) => {
        const wt = indexWorkers(t.bytes, t.s) ?? 0;
        const wr = indexWorkers(r.bytes, r.s) ?? 0;
        return { center: 1, low: ((1 + wr) / (1 + wt)) * 0.9, high: 1 };
      },
      describe: (t, r) =>
        `the rewrite rebuilds the table's indexes, and production's builds plan ${indexWorkers(t.bytes, t.s)} parallel worker(s) (a ${fmtBytes(t.bytes)} table), the rehearsal's ${indexWorkers(r.bytes, r.s)}: how much of the rewrite they speed up was never measured`,
    });
  return out;
}

const median = (v: number[]): number | null => {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function checkRegimes(input: RegimeInput): RegimeResult {
  const walPerRow = median(input.points.filter((p) => p.walBytes !== null && p.rows > 0).map((p) => p.walBytes! / p.rows));
  const pointAt = (p: RegimeInput['points'][number]): At => ({
    rows: p.rows,
    ms: p.ms,
    wal: p.walBytes,
    bytes: p.rows * input.bytesPerRow,
    s: p.settings ?? input.rehearsal,
  });
  const target: At = {
    rows: input.targetRows,
    ms: input.targetMs,
    wal: walPerRow === null ? null : walPerRow * input.targetRows * input.width,
    bytes: input.targetRows * input.bytesPerRow * input.width,
    s: input.production,
  };
  const points = input.points.map(pointAt);
  const farSide = points.map(() => true);
  const crossed: RegimeEffect[] = [];
  for (const b of boundaries(input.model, input.sortEntryBytes)) {
    const t = b.side(target);
    if (t === null) continue;
    const sides = points.map((p) => b.side(p));
    // crossed when a point measured on the rehearsal server's own settings lies on the other side
    // (points on scaled settings lie where the scaling put them: they calibrate, they do not cross)
    const own = sides.filter((_, i) => !input.points[i]!.settings);
    if (sides.some((x) => x === null) || (own.length ? own : sides).every((x) => x === t)) continue;
    sides.forEach((x, i) => {
      if (x !== t) farSide[i] = false;
    });
    // described against the largest measured point on the near side
    const near = points.filter((_, i) => sides[i] !== t).sort((a, b) => b.rows - a.rows)[0]!;
    crossed.push({
      check: { regime: b.regime, crossed: true, calibrated: false, material: b.material, detail: b.describe(target, near) },
      ...(b.adjust ? b.adjust(target, near) : { center: 1, low: b.low, high: b.high }),
      hint: b.hint && near.bytes > 0 && target.bytes > 0 ? b.hint(target, (near.bytes / target.bytes) * CALIBRATION_SCALE) : null,
      far: sides.map((x) => x === t),
      ...(b.depth ? { depth: { points: points.map((p) => b.depth!(p)), target: b.depth(target) } } : {}),
    });
  }
  return { crossed, farSide: crossed.length ? farSide : points.map(() => false), walPerRow };
}
