export * from './schema.ts';
export { readStatsFile } from './read.ts';
