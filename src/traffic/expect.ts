import type { Expectation, RowsOp } from './types.ts';

/** The parts of a query result an expectation looks at. */
export interface ResultShape {
  columns: string[];
  rows: Record<string, unknown>[];
  /** rows returned, or rows affected for a command without a result set */
  rowCount: number;
}

const ROWS = /^\s*(>=|<=|!=|>|<|=)?\s*(\d+)\s*$/;

/** '>=1', '=0', '0', 3 → { op, n }; null when not understood. */
export function parseRows(value: string | number): { op: RowsOp; n: number } | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? { op: '=', n: value } : null;
  const m = ROWS.exec(value);
  return m ? { op: (m[1] ?? '=') as RowsOp, n: Number(m[2]) } : null;
}

const compare: Record<RowsOp, (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/** Why the result does not meet the expectation, or null when it does. */
export function checkExpectation(expect: Expectation, result: ResultShape): string | null {
  if (expect.rows && !compare[expect.rows.op](result.rowCount, expect.rows.n)) {
    return `expected rows ${expect.rows.op} ${expect.rows.n}, got ${result.rowCount}`;
  }
  for (const column of expect.notNull ?? []) {
    if (!result.columns.includes(column)) return `expected column ${column} in the result, it is not there`;
    const nulls = result.rows.filter((r) => r[column] === null || r[column] === undefined).length;
    if (nulls > 0) return `expected ${column} not null, got NULL in ${nulls} of ${result.rows.length} rows`;
  }
  return null;
}
