export * from './schema.ts';
export { readStatsFile } from './read.ts';
export { collectStats, tablesWithoutColumnStats, SPEED_SETTINGS, type CollectOptions } from './collect.ts';
