/**
 * The observe stage: a sampler polls pg_stat_activity with pg_blocking_pids() every few ms and
 * turns what it sees into blocking intervals (who waited, for whom, the root of the lock queue);
 * the analyze stage (src/analyze/) ties them to migration statements and application queries.
 */
export { clockOffset, startSampler, type Sampler, type SamplerOptions } from './sampler.ts';
export { BlockingTracker } from './intervals.ts';
export { conflicts, LOCK_MODES, type LockMode } from './locks.ts';
export {
  APP_PREFIX,
  MIGRATION_PREFIX,
  PROBE_PREFIX,
  SAMPLER_NAME,
  MAX_APPLICATION_NAME,
  appTag,
  probeTag,
  parseApplicationName,
  type ParsedName,
} from './names.ts';
export type * from './types.ts';
