import { blocksApps, groupBlocking, type Report } from '../report/index.ts';
import type { SuggestionFigures } from './types.ts';

/** The figures --suggest compares, each the worst of its run. */
export function suggestionFigures(report: Report): SuggestionFigures {
  const statements = report.migrations.flatMap((m) => m.statements);
  const blocking = statements.filter((s) => s.strongestLocks.some((l) => blocksApps(l.mode))).map((s) => s.lockHeldMs);
  const traffic = report.workload !== null;
  const waits = groupBlocking(report.blocking.filter((b) => b.app !== 'migration'));
  const p99s = (report.workload?.apps ?? []).flatMap((a) =>
    a.queries.flatMap((q) => (q.phases ?? []).filter((p) => p.phase.includes('#') && p.p99Ms !== null).map((p) => p.p99Ms!)),
  );
  return {
    blockingLockHoldMs: round(Math.max(0, ...blocking)),
    appWaitMs: traffic ? round(Math.max(0, ...waits.map((w) => w.longestMs))) : null,
    p99Ms: traffic ? (p99s.length ? round(Math.max(...p99s)) : null) : null,
    durationMs: round(report.summary.totalDurationMs),
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
