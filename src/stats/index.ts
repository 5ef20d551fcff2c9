export * from './schema.ts';
export * from './traffic-schema.ts';
export { readStatsFile, requireStatements } from './read.ts';
export { collectStats, tablesWithoutColumnStats, SPEED_SETTINGS, type CollectOptions } from './collect.ts';
