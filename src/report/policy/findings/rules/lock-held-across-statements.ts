import { blocksApps } from '../../../model/locks.ts';
import { ms } from '../sql.ts';
import { type Finding, type Rule, findingLocation, waitSeverity } from '../types.ts';

/**
 * lock-held-across-statements: a statement took a lock that blocks the apps (ShareLock or stronger)
 * and its transaction went on to run something long: the lock was held for the whole of it (an ADD
 * COLUMN then a backfill, an index build and a SET NOT NULL, all in one transaction). Evidence: the
 * lock, how long it was held against how long its statement ran, the long statement after it.
 * Safe pattern: split the migration so each step commits on its own, and take the strong lock last
 * and briefly. Not mechanical by itself (the other rules' rewrites split the transaction).
 */
export const lockHeldAcrossStatements: Rule = {
  id: 'lock-held-across-statements',
  check(ctx) {
    const { statements } = ctx;
    const out: Finding[] = [];
    for (const [i, st] of statements.entries()) {
      const { m, s } = st;
      if (!s.inTransaction || s.error) continue;
      // a relation its own transaction created is invisible to everyone else until the commit: nobody waits on it
      const lock = s.strongestLocks.find((l) => blocksApps(l.mode) && !ctx.createdHere(st, l.relation));
      if (!lock) continue;
      const acrossMs = s.lockHeldMs - s.durationMs - (s.lockWaitMs ?? 0);
      if (acrossMs < 100 || acrossMs < s.durationMs) continue;
      // the statements after it, in its migration, that ran while it held the lock
      const later = statements.slice(i + 1).filter((x) => x.m === m && x.s.inTransaction);
      const longest = later.reduce<(typeof later)[number] | null>((w, x) => (w === null || x.s.durationMs > w.s.durationMs ? x : w), null);
      if (!longest) continue;
      out.push({
        rule: 'lock-held-across-statements',
        severity: waitSeverity(ctx, st, lock.relation),
        ...findingLocation(m, s),
        title: `${lock.mode} on ${lock.relation} held ${ms(s.lockHeldMs)} for a ${ms(s.durationMs)} statement: its transaction went on to statement ${longest.s.index + 1} (${ms(longest.s.durationMs)})`,
        evidence: {
          table: lock.relation,
          lockMode: lock.mode,
          lockHeldMs: s.lockHeldMs,
          durationMs: s.durationMs,
          heldAcrossMs: Math.round(acrossMs),
          longStatementIndex: longest.s.index,
          longStatementMs: longest.s.durationMs,
          maxBlockedMs: s.maxBlockedMs ?? 0,
        },
        advice: `Split the migration so the strong lock is taken in a transaction of its own and committed at once: run the long statement (line ${longest.s.line}) in its own transaction (batched, if it is a backfill) before or after it, and take the ${lock.mode.replace(/Lock$/, '')} lock last and briefly (with a lock_timeout).`,
        suggestedSql: null,
        mechanical: false,
      });
    }
    return out;
  },
};
