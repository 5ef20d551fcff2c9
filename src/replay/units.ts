import type { MigrationScript, Statement } from '../migrations/index.ts';

/**
 * How a script's statements are grouped into what commits together — the unit a lock_timeout
 * retry runs again.
 *  - wrapped:  consecutive statements in one transaction we open and commit (the default)
 *  - explicit: the file's own BEGIN … COMMIT, run as written
 *  - single:   one statement in a transaction of its own (autocommit, its locks read exactly)
 *  - outside:  one statement PostgreSQL refuses in a transaction block (locks sampled)
 */
export type UnitMode = 'wrapped' | 'explicit' | 'single' | 'outside';

export interface Unit {
  mode: UnitMode;
  statements: Statement[];
}

const TX_OPEN = /^\s*(begin|start\s+transaction)\b/i;
const TX_CLOSE = /^\s*(commit|end|abort|rollback)\b(?!\s+(to|prepared)\b)/i;

export const opensTransaction = (s: Statement) => s.kind === 'TransactionStmt' && TX_OPEN.test(s.sql);
export const closesTransaction = (s: Statement) => s.kind === 'TransactionStmt' && TX_CLOSE.test(s.sql);

export function planUnits(script: MigrationScript): Unit[] {
  const explicit = script.statements.some((s) => opensTransaction(s) || closesTransaction(s));
  const wrap = script.inTransaction && !explicit;
  const units: Unit[] = [];
  let current: Unit | null = null;
  for (const stmt of script.statements) {
    if (current?.mode === 'explicit') {
      current.statements.push(stmt);
      if (closesTransaction(stmt)) current = null;
      continue;
    }
    if (opensTransaction(stmt)) {
      current = { mode: 'explicit', statements: [stmt] };
      units.push(current);
    } else if (!stmt.transactional) {
      units.push({ mode: 'outside', statements: [stmt] });
      current = null;
    } else if (wrap) {
      if (current?.mode !== 'wrapped') {
        current = { mode: 'wrapped', statements: [] };
        units.push(current);
      }
      current.statements.push(stmt);
    } else {
      units.push({ mode: 'single', statements: [stmt] });
      current = null;
    }
  }
  return units;
}
