/**
 * Predictions at production size (issue 11): per statement, how long it will run and hold its locks
 * on tables of the sizes a statistics file gives. Every figure here is an estimate from measured
 * points, and says so (`predicted`).
 */

/** What makes a statement's cost grow with data (docs/predictions.md). */
export type CostModel = 'table-rewrite' | 'full-scan' | 'index-build' | 'concurrent-index-build' | 'row-updates' | 'constant';

/** How the cost grows with the table's rows: linear (scans, rewrites, updates), n·log n (sorts, index builds). */
export type Growth = 'linear' | 'n log n' | 'none';

export const GROWTH: Record<CostModel, Growth> = {
  'table-rewrite': 'linear',
  'full-scan': 'linear',
  'row-updates': 'linear',
  'index-build': 'n log n',
  'concurrent-index-build': 'n log n',
  constant: 'none',
};

/** One statement's cost class and the table whose size drives it. */
export interface Classification {
  model: CostModel;
  /** schema-qualified (`public.orders`); null for constant statements */
  table: string | null;
  /** why this class, in words (`relfilenode of public.orders changed`, `VALIDATE CONSTRAINT`) */
  reason: string;
  /** index builds: the key columns (null for an expression) */
  columns?: (string | null)[];
}

/** A measured point: the statement ran this long on a table of this many rows. */
export interface BasisPoint {
  rows: number;
  ms: number;
  /** the rehearsal itself, or a calibration replay on a sample of the touched tables */
  source: 'rehearsal' | 'sample';
  /** the sample's fraction of the rehearsal's rows (1 for the rehearsal); repeats share it */
  fraction: number;
  /** WAL the server wrote while it ran (absent: not measured) */
  walBytes?: number;
  /** the regime settings a calibration replay ran on, when production's were scaled to its sample (absent: the rehearsal server's) */
  settings?: Record<string, string>;
}

/** A boundary whose side changes with size (docs/predictions.md "Regimes"). */
export type RegimeName = 'shared_buffers' | 'memory' | 'checkpoints' | 'sort memory' | 'parallel workers';

/** A regime boundary between (some of) the measured points and production. */
export interface RegimeCheck {
  regime: RegimeName;
  crossed: true;
  /** calibration points lie on production's side: the fit stands on them alone */
  calibrated: boolean;
  /** the model cannot bound its effect: an uncalibrated crossing makes the prediction untrusted */
  material: boolean;
  /** what crosses, with the figures on both sides */
  detail: string;
}

/** The share of truths the interval [low, high] aims to hold (the benchmark checks it). */
export const PREDICTION_COVERAGE = 0.8;

export interface Prediction {
  /** predicted duration at the statistics' size */
  durationMs: number;
  /** predicted lock hold: the statement's own duration plus everything after it in its transaction */
  lockHeldMs: number;
  /** interval of durationMs, aimed at `coverage` of truths */
  low: number;
  high: number;
  /** the share of truths the interval aims to hold (PREDICTION_COVERAGE); absent for statements predicted as measured */
  coverage?: number;
  /** regime boundaries crossed between the rehearsal and production (absent: none) */
  regimes?: RegimeCheck[];
  model: CostModel;
  growth: Growth;
  /** the table that drives the cost, and its rows in the rehearsal and in the statistics file */
  table: string | null;
  measuredRows: number | null;
  targetRows: number | null;
  /** the measured points the fit stands on */
  basis: BasisPoint[];
  /** what the reader should know: predicted as measured, scaled by rows alone, downward, … */
  notes: string[];
  /** present when the prediction should not be trusted, with the reasons */
  trust?: { ok: false; reasons: string[] };
}

/** Run-level facts of the predictions (report.prediction). */
export interface PredictionSummary {
  statsFile: string;
  takenAt: string | null;
  /** rows (hand-written statistics) or rows × row width (statistics with table bytes) */
  scaledBy: 'rows' | 'rows and row width';
  /** fractions of the rehearsal's rows the calibration replays ran at ([] when none ran) */
  fractions: number[];
  tables: { name: string; rehearsalRows: number | null; targetRows: number; ratio: number | null }[];
  notes: string[];
}
