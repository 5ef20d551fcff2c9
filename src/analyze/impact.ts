import { round } from '../core/numbers.ts';
import type { StatementBlocking } from './types.ts';

/** A down migration's id in traffic phases and blocking attribution: '012:down'. */
export const downId = (id: string): string => `${id}:down`;

/** What the statement did to the applications (from the blocking sampler), as the report carries it. */
export interface StatementImpactFigures {
  blockedQueries: number;
  maxBlockedMs: number;
  totalBlockedMs: number;
  lockWaitMs: number;
  lockHeldMs: number;
}

/**
 * Per statement: how many application queries it blocked and for how long, and its lock hold
 * without its own wait for the locks. Written into the statements given.
 */
export function addImpact(
  migrations: { id: string; statements: { index: number; lockHeldMs: number }[] }[],
  impact: StatementBlocking[],
  idOf: (id: string) => string = (id) => id,
): void {
  for (const m of migrations) {
    for (const s of m.statements) {
      const i = impact.find((x) => x.migrationId === idOf(m.id) && x.statementIndex === s.index);
      const lockWaitMs = i?.lockWaitMs ?? 0;
      const figures: StatementImpactFigures = {
        blockedQueries: i?.blockedQueries ?? 0,
        maxBlockedMs: i?.maxBlockedMs ?? 0,
        totalBlockedMs: i?.totalBlockedMs ?? 0,
        lockWaitMs,
        // the locks were held from when the statement got them, not while it waited for them
        lockHeldMs: s.lockHeldMs > 0 ? Math.max(0, round(s.lockHeldMs - lockWaitMs)) : 0,
      };
      Object.assign(s, figures);
    }
  }
}
