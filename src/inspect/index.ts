/**
 * The inspect stage: what the migrations did to the schema beyond the replay itself — whether the
 * downs restore it (rollback), whether production drifted from the history, whether the result is
 * the expected schema.
 */
export { rehearseRollback } from './rollback.ts';
export { checkDrift } from './drift.ts';
export { compareWithExpected } from './expected.ts';
export { dataLossOf, dropsOf } from './data-loss.ts';
export type * from './types.ts';
