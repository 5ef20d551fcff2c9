export { replay } from './replay.ts';
export type { ReplayOptions, ReplayResult, TimeoutPolicy } from './replay.ts';
export type * from './types.ts';
