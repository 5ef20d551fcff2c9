import type { SnapshotUse } from '../../snapshot/index.ts';
import type { DataLossWarning, DriftResult, ExpectedSchemaResult } from '../../inspect/index.ts';
import type { DatasetSummary } from '../../load/index.ts';
import type { SchemaDiff, SchemaHazard } from '../../schema/index.ts';
import type { SamplerStats } from '../../observe/index.ts';
import type { BlockingEntry, Prediction, PredictionSummary, ProductionRateImpact } from '../../analyze/index.ts';
export type { BlockingEntry };
import type { CompatibilityMatrix, TrafficResult } from '../../traffic/index.ts';
import type { MigrationFormat } from '../../migrations/index.ts';
import type { PgSettings, ProviderName } from '../../provision/index.ts';
import type { MigrationTrace } from '../../replay/index.ts';
import type { CommandRun } from '../../replay/index.ts';
import type { Nullable, StatementLocation } from '../../core/location.ts';
import type { OutputFormat } from '../../core/names.ts';
import type { Finding } from './finding.ts';
import type { Suggestion } from './suggestion.ts';

/** Bumped on any incompatible change of the report's shape (docs/report.schema.json). */
export const SCHEMA_VERSION = '1.0';

export type RunStatus = 'passed' | 'failed' | 'error';

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'pg-rehearse'; version: string };
  run: {
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    /** passed: every migration applied; failed: a migration failed; error: the run could not finish */
    status: RunStatus;
    exitCode: number;
    /** what stopped the run when status is 'error' */
    error?: { kind: string; message: string; hint?: string };
    /** the command line, passwords masked */
    argv: string[];
  };
  postgres: {
    version: string;
    major: number;
    provider: ProviderName;
    /** settings in force during the replay */
    settings: PgSettings;
  } | null;
  /** snapshot: how the dataset came to be (src/snapshot): cloned from a saved snapshot, or loaded and saved */
  dataset: (DatasetSummary & { snapshot?: SnapshotUse }) | null;
  migrationSource: {
    folder: string;
    format: MigrationFormat;
    trackingTable: string | null;
    from: string | null;
    /** migrations found in the folder, pending or not */
    total: number;
    /** already applied according to the tracking table (or --from): not replayed */
    alreadyApplied: string[];
  } | null;
  migrations: ReportMigration[];
  /** --workload: what the simulated applications lived through (times are epoch milliseconds) */
  workload: (TrafficResult & { file: string; sampler: SamplerStats }) | null;
  /** every wait of an application query (or of the migration) longer than one sample, attributed */
  blocking: BlockingEntry[];
  /** --workload: every query of every app probed before the first migration and after each */
  compatibility: CompatibilityMatrix | null;
  /** schema before the replay → after it (null when the run stopped before) */
  schemaDiff: SchemaDiff | null;
  /** what the final schema carries that will hurt: invalid indexes, NOT VALID constraints, ... */
  schemaHazards: SchemaHazard[];
  /** --rollback: the downs, newest first, and whether they restored the starting schema */
  rollback: {
    migrations: ReportMigration[];
    diff: SchemaDiff;
    restored: boolean;
    dataLoss: DataLossWarning[];
  } | null;
  /** --check-drift: migration history on an empty database → the rehearsed database */
  drift: DriftResult | null;
  /** --expect-schema: expected → final */
  expectedSchema: ExpectedSchemaResult | null;
  summary: {
    applied: number;
    failed: number;
    skipped: number;
    statements: number;
    totalDurationMs: number;
    longestStatement: StatementRef | null;
    longestLockHold: StatementRef | null;
    rewrites: number;
  };
  /** --predict-for: the statistics file the predictions are for, its tables and what to know (docs/predictions.md) */
  prediction?: PredictionSummary;
  /** each problem the rehearsal measured, with the safe pattern and its evidence (docs/findings.md); absent in reports of older versions */
  findings?: Finding[];
  /** --suggest: the mechanical rewrites of the findings, rehearsed on the same dataset and workload, before vs after */
  suggestion?: Suggestion;
  /** `rehearse run`: the budgets (docs/budgets.md), each with its violations */
  budgets?: { results: BudgetResult[] };
  /** `rehearse run --baseline FILE`: this run against an earlier report */
  comparison?: Comparison;
  /** `rehearse run`: the run, its budgets and its comparison in one word, with the reasons */
  verdict?: Verdict;
  /** `rehearse run`: where the files were written (the Markdown names it) */
  output?: ReportOutput;
}

export type { OutputFormat };

export interface ReportOutput {
  /** the folder the run wrote to, as given */
  dir: string;
  formats: OutputFormat[];
  /** --report-url: where readers find the files (a CI run's artifacts page) */
  reportUrl?: string;
}

/**
 * A budget violation's place: migrationId null when it is not one migration's (a whole-run figure),
 * statementIndex null when it is a migration's as a whole (a schema state, say).
 */
export interface BudgetViolation extends Nullable<StatementLocation> {
  /** the measured figure, in the budget's unit */
  value: number;
  message: string;
}

export interface BudgetResult {
  /** the config key: maxLockHold, maxBlocked, maxStatement, maxRewriteRows, maxP99Increase, oldAppCompatible, noInvalidIndex */
  name: string;
  /** what is checked, with its limit, in words */
  description: string;
  limit: number;
  unit: 'ms' | 'rows' | '%' | 'count';
  ok: boolean;
  /** set when the budget could not be evaluated (no traffic, no baseline): ok is then true */
  skipped?: string;
  /** 'predicted': checked on the predictions at production size (--budgets-on); absent: on the measurements */
  on?: 'predicted';
  violations: BudgetViolation[];
}

export interface Verdict {
  /** pass; fail: a migration failed, the rollback did not restore, a budget failed or a regression over the baseline; error: the run could not finish */
  status: 'pass' | 'fail' | 'error';
  /** one line each, empty when it passed */
  reasons: string[];
}

export interface MetricDelta {
  before: number;
  after: number;
  deltaMs: number;
  /** null when before is 0 */
  deltaPct: number | null;
  regression: boolean;
}

export interface StatementDelta extends StatementLocation {
  durationMs: MetricDelta;
  lockHeldMs: MetricDelta;
  /** with traffic in both reports */
  maxBlockedMs: MetricDelta | null;
  regression: boolean;
}

export interface QueryDelta {
  app: string;
  query: string;
  p99Ms: MetricDelta;
}

export interface NewFailure extends Nullable<StatementLocation> {
  kind: 'run' | 'statement' | 'rollback' | 'budget' | 'compatibility';
  message: string;
}

export interface Comparison {
  baseline: { file: string; startedAt: string; toolVersion: string };
  /** a figure regressed when it grew by more than thresholdPct and by at least minDeltaMs */
  thresholdPct: number;
  minDeltaMs: number;
  /** matched by migration id + statement index, in the new report's order */
  statements: StatementDelta[];
  queries: QueryDelta[];
  newFailures: NewFailure[];
  /** statements only in one report */
  added: { migrationId: string; statementIndex: number }[];
  removed: { migrationId: string; statementIndex: number }[];
  /** regressed statements + regressed queries + new failures: `compare` exits 1 when > 0 */
  regressions: number;
}

export interface StatementRef extends StatementLocation {
  ms: number;
}

export type ReportMigration = Omit<MigrationTrace, 'startedAt' | 'statements'> & {
  startedAt: string | null;
  statements: ReportStatement[];
  /** command mode (--migrate-command): the command, its exit and output; its statements were sampled */
  command?: CommandRun;
};

export type ReportStatement = Omit<MigrationTrace['statements'][number], 'startedAt' | 'endedAt'> & {
  startedAt: string;
  endedAt: string;
  /** milliseconds from the first statement's start, for timelines */
  offsetMs: number;
  /** strongest lock taken per relation */
  strongestLocks: { relation: string; mode: string }[];
  /** --predict-for: the estimate at production size (docs/predictions.md) */
  predicted?: Prediction;
  /** a statistics file with traffic (--predict-for, --workload-from): what its lock hold means at production's rate */
  atProductionRate?: ProductionRateImpact[];
} & Partial<StatementImpact>;

/** With a workload: what the statement did to the applications (from the blocking sampler). */
export interface StatementImpact {
  /** application query executions that waited on this statement's locks (or queued behind it) */
  blockedQueries: number;
  maxBlockedMs: number;
  totalBlockedMs: number;
  /** how long the statement itself waited for its locks */
  lockWaitMs: number;
}
