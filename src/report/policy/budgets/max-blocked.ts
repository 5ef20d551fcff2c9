import type { BudgetViolation } from '../../model/types.ts';
import type { Budget } from './types.ts';
import { allStatements, hasTraffic, longestBlocking } from '../queries.ts';
import { fmtMs, oneLine } from '../../format/text.ts';

/** maxBlocked: no application query may wait longer than the limit on a migration statement's locks. */
export const maxBlocked: Budget = {
  name: 'maxBlocked',
  unit: 'ms',
  limit: (c) => c.maxBlockedMs,
  describe: (c) => `no application query waits longer than ${fmtMs(c.maxBlockedMs ?? 0)} on a migration's locks`,
  evaluate({ report, config }) {
    if (!hasTraffic(report)) return { skipped: 'no application traffic in this run (rehearse run --workload FILE)', violations: [] };
    const limit = config.maxBlockedMs ?? Infinity;
    const violations: BudgetViolation[] = [];
    for (const { m, s } of allStatements(report)) {
      const b = longestBlocking(report, m, s);
      if (!b || b.ms <= limit) continue;
      violations.push({
        migrationId: m.id,
        statementIndex: s.index,
        file: s.file,
        line: s.line,
        value: b.ms,
        message:
          `${m.id} statement ${s.index + 1} (${oneLine(s.sql, 60)}) made ${b.who ?? 'an application query'} wait ${fmtMs(b.ms)}, over ${fmtMs(limit)}` +
          ((s.blockedQueries ?? 0) > 1 ? ` (${s.blockedQueries} executions waited, ${fmtMs(s.totalBlockedMs ?? 0)} in all)` : ''),
      });
    }
    return { violations };
  },
};
