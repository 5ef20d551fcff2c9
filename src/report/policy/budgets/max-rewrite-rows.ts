import type { BudgetViolation } from '../../model/types.ts';
import { TABLE_KINDS, tableRows } from '../tables.ts';
import type { Budget } from './types.ts';
import { allStatements } from '../queries.ts';
import { fmtInt, lockName, oneLine } from '../../format/text.ts';

/** maxRewriteRows: no statement may rewrite (relfilenode changed) a table above the limit's rows. */
export const maxRewriteRows: Budget = {
  name: 'maxRewriteRows',
  unit: 'rows',
  limit: (c) => c.maxRewriteRows,
  describe: (c) => `no rewrite of a table above ${fmtInt(c.maxRewriteRows ?? 0)} rows`,
  evaluate({ report, config }) {
    const limit = config.maxRewriteRows ?? Infinity;
    const rows = tableRows(report);
    const violations: BudgetViolation[] = [];
    const over = (rewrites: { relation: string; relkind: string | null }[]) =>
      rewrites
        .filter((r) => r.relkind === null || TABLE_KINDS.has(r.relkind))
        .map((r) => ({ relation: r.relation, rows: rows(r.relation) ?? 0 }))
        .filter((r) => r.rows > limit)
        .sort((a, b) => b.rows - a.rows);
    for (const m of report.migrations) {
      // command mode: a rewrite seen for the whole command but tied to no one statement
      const loose = over((m.command?.rewrites ?? []).filter((r) => r.statementIndex === null));
      if (loose[0]) {
        violations.push({
          migrationId: m.id,
          statementIndex: null,
          file: null,
          line: null,
          value: loose[0].rows,
          message: `the migration command rewrote ${loose.map((r) => `${r.relation} (${fmtInt(r.rows)} rows)`).join(', ')}, over ${fmtInt(limit)} rows`,
        });
      }
    }
    for (const { m, s } of allStatements(report)) {
      const big = over(s.rewrites);
      const worst = big[0];
      if (!worst) continue;
      const lock = s.strongestLocks.find((l) => l.relation === worst.relation);
      violations.push({
        migrationId: m.id,
        statementIndex: s.index,
        file: s.file,
        line: s.line,
        value: worst.rows,
        message:
          `${m.id} statement ${s.index + 1} (${oneLine(s.sql, 60)}) rewrote ${big.map((r) => `${r.relation} (${fmtInt(r.rows)} rows)`).join(', ')}, over ${fmtInt(limit)} rows` +
          (lock ? `, under ${lockName(lock.mode)}` : ''),
      });
    }
    return { violations };
  },
};
