import type { MigrationTrace, StatementTrace } from '../../replay/index.ts';
import { maskSecrets } from '../../core/mask.ts';
import { strongestLocks } from './locks.ts';
import { SCHEMA_VERSION, type Report, type ReportMigration, type StatementRef } from './types.ts';
import { round } from '../../core/numbers.ts';

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** Turn replay traces into the report's migrations: ISO times, offsets, strongest locks. */
export function reportMigrations(traces: MigrationTrace[]): ReportMigration[] {
  const origin = Math.min(...traces.flatMap((m) => m.statements.map((s) => s.startedAt)), Infinity);
  return traces.map((m) => ({
    ...m,
    startedAt: m.startedAt === null ? null : iso(m.startedAt),
    statements: m.statements.map((s) => ({
      ...s,
      startedAt: iso(s.startedAt),
      endedAt: iso(s.endedAt),
      offsetMs: round(s.startedAt - origin),
      strongestLocks: strongestLocks(s.locks),
    })),
  }));
}

export function summarize(migrations: ReportMigration[]): Report['summary'] {
  const all = migrations.flatMap((m) => m.statements.map((s) => ({ m, s })));
  const ref = (pick: (s: ReportMigration['statements'][number]) => number): StatementRef | null => {
    let best: StatementRef | null = null;
    for (const { m, s } of all) {
      const ms = pick(s);
      if (ms > 0 && (best === null || ms > best.ms)) best = { migrationId: m.id, statementIndex: s.index, file: s.file, line: s.line, ms };
    }
    return best;
  };
  return {
    applied: migrations.filter((m) => m.status === 'applied').length,
    failed: migrations.filter((m) => m.status === 'failed').length,
    skipped: migrations.filter((m) => m.status === 'skipped').length,
    statements: all.length,
    totalDurationMs: round(migrations.reduce((t, m) => t + m.durationMs, 0)),
    longestStatement: ref((s) => s.durationMs),
    longestLockHold: ref((s) => s.lockHeldMs),
    rewrites: all.reduce((t, { s }) => t + s.rewrites.length, 0),
  };
}

export function emptyReport(argv: string[], version: string, startedAt: number): Report {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'pg-rehearse', version },
    run: {
      startedAt: iso(startedAt),
      finishedAt: iso(startedAt),
      durationMs: 0,
      status: 'error',
      exitCode: 3,
      argv: argv.map(maskSecrets),
    },
    postgres: null,
    dataset: null,
    migrationSource: null,
    migrations: [],
    workload: null,
    blocking: [],
    compatibility: null,
    schemaDiff: null,
    schemaHazards: [],
    rollback: null,
    drift: null,
    expectedSchema: null,
    summary: summarize([]),
  };
}

export type { StatementTrace };
