import type { Budget } from './types.ts';
import { allStatements } from '../queries.ts';
import { fmtMs, oneLine } from '../../format/text.ts';

/** maxStatement: no statement may run longer than the limit. */
export const maxStatement: Budget = {
  name: 'maxStatement',
  unit: 'ms',
  limit: (c) => c.maxStatementMs,
  describe: (c) => `no statement runs longer than ${fmtMs(c.maxStatementMs ?? 0)}`,
  evaluate({ report, config }) {
    const limit = config.maxStatementMs ?? Infinity;
    return {
      violations: allStatements(report)
        .filter(({ s }) => s.durationMs > limit)
        .map(({ m, s }) => ({
          migrationId: m.id,
          statementIndex: s.index,
          file: s.file,
          line: s.line,
          value: s.durationMs,
          message: `${m.id} statement ${s.index + 1} (${oneLine(s.sql, 60)}) ran ${fmtMs(s.durationMs)}, over ${fmtMs(limit)}`,
        })),
    };
  },
};
