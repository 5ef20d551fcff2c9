import { lockStrength } from '../../model/locks.ts';
import type { BudgetViolation } from '../../model/types.ts';
import { TABLE_KINDS, tableRows } from '../tables.ts';
import type { Budget } from './types.ts';
import { allStatements } from '../queries.ts';
import { blocksApps, lockEffect } from '../../model/locks.ts';
import { fmtInt, fmtMs, lockName, oneLine } from '../../format/text.ts';

/**
 * maxLockHold: no statement may hold a lock that makes application reads or writes wait
 * (ShareLock and stronger) on a table above lockHoldMinRows rows for longer than the limit.
 * The hold runs from the statement's start to the end of its transaction.
 */
export const maxLockHold: Budget = {
  name: 'maxLockHold',
  unit: 'ms',
  limit: (c) => c.maxLockHoldMs,
  describe: (c) =>
    `no lock that blocks reads or writes (ShareLock or stronger) held longer than ${fmtMs(c.maxLockHoldMs ?? 0)} on a table above ${fmtInt(c.lockHoldMinRows)} rows`,
  evaluate({ report, config }) {
    const limit = config.maxLockHoldMs ?? Infinity;
    const rows = tableRows(report);
    const violations: BudgetViolation[] = [];
    for (const { m, s } of allStatements(report)) {
      if (s.lockHeldMs <= limit) continue;
      const hits = s.locks
        .filter((l) => (l.relkind === null || TABLE_KINDS.has(l.relkind)) && blocksApps(l.mode))
        .map((l) => ({ ...l, rows: rows(l.relation) }))
        .filter((l) => l.rows !== null && l.rows > config.lockHoldMinRows)
        .sort((a, b) => lockStrength(b.mode) - lockStrength(a.mode) || (b.rows ?? 0) - (a.rows ?? 0));
      const worst = hits[0];
      if (!worst) continue;
      violations.push({
        migrationId: m.id,
        statementIndex: s.index,
        file: s.file,
        line: s.line,
        value: s.lockHeldMs,
        message:
          `${m.id} statement ${s.index + 1} (${oneLine(s.sql, 60)}) held ${lockName(worst.mode)} on ${worst.relation} (${fmtInt(worst.rows ?? 0)} rows) ` +
          `for ${fmtMs(s.lockHeldMs)}, over ${fmtMs(limit)}: it blocks ${lockEffect(worst.mode)}`,
      });
    }
    return { violations };
  },
};
