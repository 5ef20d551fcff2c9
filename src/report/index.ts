export { reportMigrations, summarize, emptyReport } from './build.ts';
export { renderTerminal } from './render/terminal.ts';
export { writeReport, serializeReport, defaultOutDir } from './write.ts';
export { strongestLocks, lockStrength, LOCK_MODES } from './locks.ts';
export { SCHEMA_VERSION } from './types.ts';
export type * from './types.ts';
