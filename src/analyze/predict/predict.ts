import type { StatsFile } from '../../stats/index.ts';
import { classify, tableKey } from './classify.ts';
import { extrapolate, g } from './fit.ts';
import { checkRegimes } from './regimes.ts';
import { parseRegimeSettings, REGIME_SETTINGS, type RegimeSettings } from './settings.ts';
import { groupByUnit, predictHolds } from './transaction.ts';
import { GROWTH, PREDICTION_COVERAGE, type BasisPoint, type Classification, type Prediction, type PredictionSummary } from './types.ts';

/** A statement as the report holds it (measured figures final: lock waits already taken out). */
export interface MeasuredStatement {
  index: number;
  sql: string;
  durationMs: number;
  lockHeldMs: number;
  rewrites: { relation: string; relkind: string | null }[];
  /** WAL the server wrote while it ran */
  walBytes?: number;
  error?: unknown;
}

export interface MeasuredMigration {
  id: string;
  statements: MeasuredStatement[];
}

/** What one calibration replay measured (see calibrate.ts). */
export interface CalibrationPoint {
  fraction: number;
  rows: Map<string, number>;
  migrations: { id: string; statements: { index: number; durationMs: number; walBytes?: number; error?: unknown }[] }[];
  /** the regime settings it ran on when they were scaled (calibrate.ts), else the rehearsal server's */
  settings?: Record<string, string>;
}

export interface PredictInput {
  migrations: MeasuredMigration[];
  /** transaction unit of a statement (replay's planUnits); undefined: its own */
  unitOf: (migrationId: string, index: number) => number | undefined;
  /** rows and bytes of each table before the migrations, by tableKey */
  rehearsal: Map<string, { rows: number; bytes: number }>;
  calibration: CalibrationPoint[];
  stats: StatsFile;
  statsFile: string;
  /** the rehearsal server's settings (REGIME_SETTINGS, as current_setting prints them); absent: regimes not judged */
  rehearsalSettings?: Record<string, string>;
}

export interface PredictOutput {
  /** by `${migrationId}#${index}` */
  statements: Map<string, Prediction>;
  summary: PredictionSummary;
}

/** Above this ratio of target rows to the largest measured size a prediction is not trusted. */
export const MAX_TRUSTED_FACTOR = 1000;
/** Residuals above this (relative RMS) make a poor fit. */
export const MAX_TRUSTED_RESIDUAL = 0.25;
/**
 * Below this the longest point the fit stands on says little about rows: a statement's round trip,
 * its commit and the timer's noise on a busy machine are milliseconds.
 */
export const MIN_MEASURABLE_MS = 10;

export const statementKey = (migrationId: string, index: number): string => `${migrationId}#${index}`;

/** Predictions for every statement that ran, then lock holds by transaction. Pure. */
export function predict(input: PredictInput): PredictOutput {
  const target = targetSizes(input.stats, input.rehearsal);
  const settings = regimeSettings(input);
  const statements = new Map<string, Prediction>();
  for (const m of input.migrations) {
    const ran = m.statements.filter((s) => !s.error);
    for (const s of ran) statements.set(statementKey(m.id, s.index), predictOne(m.id, s, input, target, settings));
    for (const unit of groupByUnit(ran, (i) => input.unitOf(m.id, i))) {
      const holds = predictHolds(
        unit.map((s) => ({ durationMs: s.durationMs, lockHeldMs: s.lockHeldMs, predictedMs: statements.get(statementKey(m.id, s.index))!.durationMs })),
      );
      unit.forEach((s, i) => (statements.get(statementKey(m.id, s.index))!.lockHeldMs = round(holds[i]!)));
    }
  }
  const summary = summarize(input, target);
  summary.notes.push(...settings.notes);
  return { statements, summary };
}

interface Settings {
  rehearsal: RegimeSettings;
  production: RegimeSettings;
  /** production's settings missing from the statistics file: the rehearsal's assumed */
  assumed: string[];
  notes: string[];
}

/**
 * Both sides' settings: production's from the statistics file (server.settings), each one it lacks
 * taken as the rehearsal server's and said; none at all without the rehearsal's.
 */
function regimeSettings(input: PredictInput): Settings {
  const notes: string[] = [];
  const given = input.stats.server?.settings ?? {};
  if (!input.rehearsalSettings) {
    notes.push(
      "the rehearsal server's settings were not read (no calibration): regimes (shared_buffers, checkpoints, sort memory, parallel workers) not judged",
    );
    const none = parseRegimeSettings({});
    return { rehearsal: none, production: none, assumed: [], notes };
  }
  const assumed = REGIME_SETTINGS.filter((n) => given[n] === undefined && input.rehearsalSettings![n] !== undefined);
  const merged: Record<string, string> = {};
  for (const n of REGIME_SETTINGS) {
    const v = given[n] ?? input.rehearsalSettings[n];
    if (v !== undefined) merged[n] = v;
  }
  if (assumed.length)
    notes.push(
      `production's ${assumed.join(', ')} ${assumed.length > 1 ? 'are' : 'is'} not in the statistics file: assumed as the rehearsal server's (rehearse stats records them); a regime production is in on other settings is not seen`,
    );
  return { rehearsal: parseRegimeSettings(input.rehearsalSettings), production: parseRegimeSettings(merged), assumed, notes };
}

interface Target {
  rows: number;
  /** production's bytes per row over the rehearsal's (1 when the statistics give no bytes) */
  width: number;
  scaledBy: 'rows' | 'rows and row width';
}

function targetSizes(stats: StatsFile, rehearsal: PredictInput['rehearsal']): Map<string, Target> {
  const out = new Map<string, Target>();
  for (const [name, t] of Object.entries(stats.tables)) {
    const key = tableKey(name);
    const r = rehearsal.get(key);
    const bytes = t.totalBytes ?? null;
    const width = r && bytes && t.rows > 0 && r.rows > 0 && r.bytes > 0 ? bytes / t.rows / (r.bytes / r.rows) : null;
    out.set(key, { rows: t.rows, width: width ?? 1, scaledBy: width === null ? 'rows' : 'rows and row width' });
  }
  return out;
}

/**
 * The tables whose size drives a data-dependent statement and that the rehearsal and the
 * statistics both know: the ones the calibration samples.
 */
export function drivingTables(migrations: MeasuredMigration[], rehearsal: PredictInput['rehearsal'], stats: StatsFile): string[] {
  const inStats = new Set(Object.keys(stats.tables).map(tableKey));
  const out = new Set<string>();
  for (const m of migrations) {
    for (const s of m.statements) {
      if (s.error) continue;
      const c = classifyMeasured(s);
      if (c.table && c.model !== 'constant' && rehearsal.has(c.table) && inStats.has(c.table)) out.add(c.table);
    }
  }
  return [...out].sort();
}

/** Bytes of one sort entry of an index build: the key columns' widths (the statistics' avgWidth, else 8) and 40 bytes of tuple overhead. */
function sortEntryBytes(c: Classification, stats: StatsFile): number {
  const columns = c.columns ?? [];
  const table = Object.entries(stats.tables).find(([name]) => tableKey(name) === c.table)?.[1];
  return 40 + (columns.length ? columns : [null]).reduce((sum, col) => sum + ((col && table?.columns?.[col]?.avgWidth) || 8), 0);
}

const classifyMeasured = (s: MeasuredStatement): Classification =>
  classify({ sql: s.sql, rewrites: s.rewrites.map((r) => ({ ...r, relfilenodeBefore: 0, relfilenodeAfter: 0 })) });

function predictOne(migrationId: string, s: MeasuredStatement, input: PredictInput, targets: Map<string, Target>, settings: Settings): Prediction {
  const c = classifyMeasured(s);
  const asMeasured = (note: string, model = c.model, extra: Partial<Prediction> = {}): Prediction => ({
    durationMs: s.durationMs,
    lockHeldMs: s.lockHeldMs,
    low: s.durationMs,
    high: s.durationMs,
    model,
    growth: model === 'constant' ? 'none' : GROWTH[model],
    table: c.table,
    measuredRows: null,
    targetRows: null,
    basis: [],
    notes: [note],
    ...extra,
  });
  if (c.model === 'constant' || !c.table) return asMeasured(`does not grow with data (${c.reason}): predicted as measured`, 'constant');
  const measured = input.rehearsal.get(c.table);
  if (!measured) return asMeasured(`${c.table} is created by the migrations: nothing to scale, predicted as measured`, 'constant');
  const target = targets.get(c.table);
  const wal = (w: number | undefined) => (w !== undefined ? { walBytes: w } : {});
  const basis: BasisPoint[] = [{ rows: measured.rows, ms: s.durationMs, source: 'rehearsal', fraction: 1, ...wal(s.walBytes) }];
  for (const run of input.calibration) {
    const rows = run.rows.get(c.table);
    const st = run.migrations.find((m) => m.id === migrationId)?.statements.find((x) => x.index === s.index);
    if (rows !== undefined && st && !st.error)
      basis.push({
        rows,
        ms: st.durationMs,
        source: 'sample',
        fraction: run.fraction,
        ...wal(st.walBytes),
        ...(run.settings ? { settings: run.settings } : {}),
      });
  }
  if (!target) {
    return asMeasured(`${c.table} is not in the statistics file: predicted as measured`, c.model, {
      measuredRows: measured.rows,
      basis,
      trust: { ok: false, reasons: [`no production size for ${c.table}`] },
    });
  }
  const growth = GROWTH[c.model];
  // rewrites, scans and updates read every byte: a wider production row costs in proportion
  const width = growth === 'linear' ? target.width : 1;
  // the points on the rehearsal server's own settings; those on production's settings scaled to a
  // sample (calibrate.ts) are for calibrating across a material regime, below
  const own = basis.filter((p) => !p.settings);
  let fitted = own;
  let ext = extrapolate(fitted, growth, target.rows * width);
  const notes: string[] = [c.reason];
  const reasons: string[] = [];
  // regimes: where production is on the other side of a boundary, fit the points past it, else widen and say so
  const regimes = checkRegimes({
    model: c.model,
    bytesPerRow: measured.rows > 0 ? measured.bytes / measured.rows : 0,
    width: target.width,
    targetRows: target.rows,
    targetMs: ext.center,
    points: basis.map((p) => ({ rows: p.rows, ms: p.ms, walBytes: p.walBytes ?? null, ...(p.settings ? { settings: parseRegimeSettings(p.settings) } : {}) })),
    rehearsal: settings.rehearsal,
    production: settings.production,
    sortEntryBytes: sortEntryBytes(c, input.stats),
  });
  let lowBy = 1;
  let highBy = 1;
  let centerBy = 1;
  if (regimes.crossed.length) {
    // the boundaries some points lie past at two sizes or more, as many as the points allow: the fit
    // stands on the points past all of them; the others stay crossed (widened, or untrusted)
    // (only material ones: a bounded one is widened, on the own settings' points, which carry less
    // of a small sample's fixed costs on a scaled server)
    const across = calibrateAcross(
      regimes.crossed.filter((e) => e.check.material),
      basis,
    );
    // points past the boundary too short to say anything about rows are no calibration
    const measurable = Math.max(0, ...across.far.map((p) => p.ms)) >= MIN_MEASURABLE_MS;
    if (across.calibrated.length && !measurable)
      notes.push(
        `the points past ${across.calibrated.map((e) => e.check.regime).join(', ')} ran under ${MIN_MEASURABLE_MS} ms: too short to calibrate on, the crossing stands`,
      );
    const { calibrated, far } = measurable ? across : { calibrated: [], far: [] };
    if (calibrated.length) {
      fitted = far;
      ext = extrapolate(fitted, growth, target.rows * width);
      for (const e of calibrated) e.check.calibrated = true;
      // a setting's floor (1 MB of shared_buffers) can keep the samples less deep past the boundary
      // than production: measured past it, but not as far — said, the high end widened, untrusted
      for (const e of calibrated) {
        const deepest = Math.max(0, ...(e.depth?.points.filter((d, i): d is number => d !== null && e.far[i] === true) ?? []));
        const target = e.depth?.target ?? null;
        if (target === null || deepest <= 0 || target <= 2 * deepest) continue;
        highBy *= e.high;
        reasons.push(
          `calibrated only part way (${e.check.regime}): the deepest measured point lies ${round1(deepest)}× past the boundary, production ${round1(target)}× (the scaled setting is at its floor; rehearse on more rows to go deeper)`,
        );
      }
      notes.push(
        `calibrated across ${calibrated.map((e) => e.check.regime).join(', ')}: fitted on the ${far.length} measured points past the boundary as production is`,
      );
    }
    for (const e of regimes.crossed.filter((x) => !x.check.calibrated)) {
      lowBy *= e.low;
      highBy *= e.high;
      centerBy *= e.center;
      if (e.center !== 1) notes.push(`${e.check.regime}: the centre moved ×${round(e.center)} (each worker taken as half a participant more)`);
      const text = `regime crossed (${e.check.regime}): ${e.check.detail}`;
      if (e.check.material) reasons.push(`${text}; no measured points lie on production's side at two sizes${e.hint ? ` (${e.hint})` : ''}`);
      else notes.push(`${text}: the interval is widened (${e.low !== 1 ? `low ×${e.low}, ` : ''}high ×${e.high})`);
    }
  }
  if (regimes.walPerRow !== null) notes.push(`WAL measured: about ${Math.round(regimes.walPerRow)} bytes per row`);
  const sizes = new Set(fitted.map((p) => p.rows)).size;
  if (sizes < 2) reasons.push('one measured size only: scaled in proportion to rows, a guess (no calibration ran)');
  const longest = Math.max(0, ...fitted.map((p) => p.ms));
  if (sizes >= 2 && longest < MIN_MEASURABLE_MS)
    reasons.push(
      `too short to measure: the longest measured point the fit stands on ran ${round(longest)} ms (under ${MIN_MEASURABLE_MS} ms, a statement's round trip and the timer's noise are as large)`,
    );
  if (ext.factor > MAX_TRUSTED_FACTOR) reasons.push(`extrapolating ${Math.round(ext.factor)}× beyond the largest measured size (over ${MAX_TRUSTED_FACTOR}×)`);
  if (ext.fit.relResidual > MAX_TRUSTED_RESIDUAL)
    reasons.push(`poor fit: the ${growth} model misses the measured points by ${Math.round(ext.fit.relResidual * 100)} % (RMS)`);
  if (ext.noise > MAX_TRUSTED_RESIDUAL) reasons.push(`noisy: repeated measurements differ by ${Math.round(ext.noise * 100)} % (one standard deviation)`);
  // a statement that should grow with its table but did not in the calibration: the measured
  // sizes are too small (or too noisy) to see its data part, and the prediction may be far too low
  if (sizes >= 2 && ext.fit.flat) reasons.push(`the ${growth} part was not seen: the time did not grow with size in the calibration`);
  if (ext.fit.flat) notes.push('the time did not grow with size in the calibration: predicted as the mean of the measurements');
  else if (ext.fit.a > 0) notes.push(`mostly a fixed cost in the calibration (${round(ext.fit.a)} ms of it): the fixed part kept, the rest scaled`);
  if (target.rows < measured.rows) notes.push(`production is smaller than the rehearsal (${target.rows} vs ${measured.rows} rows): predicted downward`);
  notes.push(
    target.scaledBy === 'rows' || width === 1 ? 'scaled by rows alone' : `scaled by rows and row width (production rows are ${round(target.width)}× as wide)`,
  );
  // the interval: the leave-one-out fits and the noise, at least ±(10 % + 5 % per decade of extrapolation)
  const floor = 0.1 + 0.05 * Math.log10(Math.max(ext.factor, 1));
  // growth not seen (a flat fit): the truth may lie anywhere up to the rehearsal scaled in proportion
  const proportional = ext.fit.flat && measured.rows > 0 ? (s.durationMs * g(growth, target.rows * width)) / g(growth, measured.rows) : 0;
  const center = ext.center * centerBy;
  const low = Math.min(ext.low, ext.center * (1 - floor)) * lowBy;
  const high = Math.max(ext.high, ext.center * (1 + floor), proportional) * highBy;
  return {
    durationMs: round(center),
    lockHeldMs: 0,
    low: round(Math.max(0, Math.min(low, center))),
    high: round(Math.max(high, center)),
    coverage: PREDICTION_COVERAGE,
    ...(regimes.crossed.length ? { regimes: regimes.crossed.map((e) => e.check) } : {}),
    model: c.model,
    growth,
    table: c.table,
    measuredRows: measured.rows,
    targetRows: target.rows,
    basis,
    notes,
    ...(reasons.length ? { trust: { ok: false as const, reasons } } : {}),
  };
}

function summarize(input: PredictInput, targets: Map<string, Target>): PredictionSummary {
  const notes: string[] = [];
  const tables = [...targets.entries()].map(([name, t]) => {
    const r = input.rehearsal.get(name);
    if (!r) notes.push(`${name} is in the statistics file but not in the rehearsal database: ignored`);
    else if (t.rows < r.rows) notes.push(`${name}: production (${t.rows} rows) is smaller than the rehearsal (${r.rows}): its predictions go downward`);
    return { name, rehearsalRows: r?.rows ?? null, targetRows: t.rows, ratio: r && r.rows > 0 ? round(t.rows / r.rows) : null };
  });
  const widths = [...targets.values()].some((t) => t.scaledBy !== 'rows');
  if (!widths) notes.push('the statistics file gives rows only: predictions scale by rows alone');
  if (input.calibration.length === 0) notes.push('no calibration replay ran: each prediction stands on one measured size and is marked untrusted');
  return {
    statsFile: input.statsFile,
    takenAt: input.stats.takenAt ?? null,
    scaledBy: widths ? 'rows and row width' : 'rows',
    fractions: [...new Set(input.calibration.map((c) => c.fraction))],
    tables,
    notes,
  };
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Which crossed boundaries the measured points calibrate: greedily, those with the most points past
 * them first, each kept while the points past every kept one still span two sizes or more. Pure.
 */
export function calibrateAcross<E extends { far: boolean[] }>(crossed: E[], basis: BasisPoint[]): { calibrated: E[]; far: BasisPoint[] } {
  const count = (e: E) => e.far.filter(Boolean).length;
  let keep = basis.map(() => true);
  const calibrated: E[] = [];
  for (const e of [...crossed].sort((a, b) => count(b) - count(a))) {
    const next = keep.map((k, i) => k && e.far[i] === true);
    if (new Set(basis.filter((_, i) => next[i]).map((p) => p.rows)).size < 2) continue;
    keep = next;
    calibrated.push(e);
  }
  return { calibrated, far: calibrated.length ? basis.filter((_, i) => keep[i]) : [] };
}

const round1 = (v: number) => Math.round(v * 10) / 10;
