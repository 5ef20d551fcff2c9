import type { Comparison, MetricDelta, NewFailure, QueryDelta, StatementDelta } from '../model/types.ts';
import { round } from '../../core/numbers.ts';
import { appName } from './queries.ts';
import type { ReportStatement, Report } from '../model/types.ts';

/**
 * `rehearse compare OLD.json NEW.json` and `rehearse run --baseline FILE`: per statement (matched
 * by migration id + statement index) the deltas of duration, lock hold and blocking, per app query
 * the p99 delta, and what fails now that did not. A figure regressed when it grew by more than
 * thresholdPct percent and by at least minDeltaMs (timings of two rehearsals differ by a few
 * milliseconds for no reason: the floor keeps that noise out).
 */
export interface RegressionOptions {
  thresholdPct: number;
  minDeltaMs: number;
}

export const DEFAULT_REGRESSION: RegressionOptions = { thresholdPct: 50, minDeltaMs: 25 };

export function compareReports(before: Report, after: Report, options: RegressionOptions & { baselineFile: string }): Comparison {
  const delta = (b: number, a: number): MetricDelta => {
    const deltaMs = round(a - b);
    return {
      before: b,
      after: a,
      deltaMs,
      deltaPct: b > 0 ? round(((a - b) / b) * 100) : null,
      regression: a > b * (1 + options.thresholdPct / 100) && a - b >= options.minDeltaMs,
    };
  };
  const old = new Map<string, ReportStatement>();
  for (const m of before.migrations) for (const s of m.statements) old.set(key(m.id, s.index), s);
  const seen = new Set<string>();

  const statements: StatementDelta[] = [];
  const added: Comparison['added'] = [];
  const newFailures: NewFailure[] = [];
  for (const m of after.migrations) {
    for (const s of m.statements) {
      const k = key(m.id, s.index);
      const b = old.get(k);
      if (s.error && !b?.error) {
        newFailures.push({
          kind: 'statement',
          migrationId: m.id,
          statementIndex: s.index,
          file: s.error.file,
          line: s.error.line,
          message: `${m.id} statement ${s.index + 1} fails: ${s.error.sqlstate} ${s.error.message}`,
        });
      }
      if (!b) {
        added.push({ migrationId: m.id, statementIndex: s.index });
        continue;
      }
      seen.add(k);
      const duration = delta(b.durationMs, s.durationMs);
      const lockHeld = delta(b.lockHeldMs, s.lockHeldMs);
      const blocked = b.maxBlockedMs !== undefined && s.maxBlockedMs !== undefined ? delta(b.maxBlockedMs, s.maxBlockedMs) : null;
      statements.push({
        migrationId: m.id,
        statementIndex: s.index,
        file: s.file,
        line: s.line,
        durationMs: duration,
        lockHeldMs: lockHeld,
        maxBlockedMs: blocked,
        regression: duration.regression || lockHeld.regression || (blocked?.regression ?? false),
      });
    }
  }
  const removed = [...old.keys()]
    .filter((k) => !seen.has(k))
    .map(unkey)
    .filter((r) => !added.some((a) => a.migrationId === r.migrationId && a.statementIndex === r.statementIndex));

  const queries: QueryDelta[] = [];
  for (const app of after.workload?.apps ?? []) {
    for (const q of app.queries) {
      const b = before.workload?.apps.find((a) => a.name === app.name)?.queries.find((x) => x.name === q.name);
      if (!b || b.p99Ms === null || q.p99Ms === null) continue;
      queries.push({ app: app.name, query: q.name, p99Ms: delta(b.p99Ms, q.p99Ms) });
    }
  }

  if (after.run.status === 'error' && before.run.status !== 'error') {
    newFailures.push({
      kind: 'run',
      migrationId: null,
      statementIndex: null,
      file: null,
      line: null,
      message: `the run could not finish: ${after.run.error?.message ?? 'error'}`,
    });
  }
  if (after.rollback && !after.rollback.restored && before.rollback?.restored) {
    newFailures.push({
      kind: 'rollback',
      migrationId: null,
      statementIndex: null,
      file: null,
      line: null,
      message: 'the down migrations no longer restore the starting schema',
    });
  }
  if (before.budgets) {
    for (const b of after.budgets?.results ?? []) {
      if (b.ok || before.budgets.results.find((x) => x.name === b.name)?.ok === false) continue;
      const v = b.violations[0];
      newFailures.push({
        kind: 'budget',
        migrationId: v?.migrationId ?? null,
        statementIndex: v?.statementIndex ?? null,
        file: v?.file ?? null,
        line: v?.line ?? null,
        message: `budget ${b.name} fails: ${v?.message ?? b.description}`,
      });
    }
  }
  const wasOk = (state: string, app: string) => before.compatibility?.cells.find((c) => c.state === state && c.app === app)?.ok === true;
  for (const cell of after.compatibility?.cells ?? []) {
    if (cell.ok || !wasOk(cell.state, cell.app)) continue;
    const f = cell.failures[0];
    const migration = after.migrations.find((m) => m.id === cell.state);
    newFailures.push({
      kind: 'compatibility',
      migrationId: migration ? cell.state : null,
      statementIndex: null,
      file: migration?.file ?? null,
      line: null,
      message: `${cell.app} now fails at state ${cell.state}${f ? `: ${f.query} ${f.sqlstate} ${f.message}` : ''}`,
    });
  }
  void appName;

  const regressions = statements.filter((s) => s.regression).length + queries.filter((q) => q.p99Ms.regression).length + newFailures.length;
  return {
    baseline: { file: options.baselineFile, startedAt: before.run.startedAt, toolVersion: before.tool.version },
    thresholdPct: options.thresholdPct,
    minDeltaMs: options.minDeltaMs,
    statements,
    queries,
    newFailures,
    added,
    removed,
    regressions,
  };
}

const key = (id: string, index: number) => JSON.stringify([id, index]);
const unkey = (k: string) => {
  const [migrationId, statementIndex] = JSON.parse(k) as [string, number];
  return { migrationId, statementIndex };
};
