import type { DataLossWarning, DriftResult, ExpectedSchemaResult } from '../inspect/types.ts';
import type { DatasetSummary } from '../load/types.ts';
import type { SchemaDiff, SchemaHazard } from '../schema/types.ts';
import type { MigrationFormat } from '../migrations/types.ts';
import type { PgSettings, ProviderName } from '../provision/types.ts';
import type { MigrationTrace } from '../replay/types.ts';

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
  dataset: DatasetSummary | null;
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
}

export interface StatementRef {
  migrationId: string;
  statementIndex: number;
  file: string;
  line: number;
  ms: number;
}

export type ReportMigration = Omit<MigrationTrace, 'startedAt' | 'statements'> & {
  startedAt: string | null;
  statements: ReportStatement[];
};

export type ReportStatement = Omit<MigrationTrace['statements'][number], 'startedAt' | 'endedAt'> & {
  startedAt: string;
  endedAt: string;
  /** milliseconds from the first statement's start, for timelines */
  offsetMs: number;
  /** strongest lock taken per relation */
  strongestLocks: { relation: string; mode: string }[];
};
