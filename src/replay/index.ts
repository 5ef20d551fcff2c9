export { replay } from './replay.ts';
export type { ReplayOptions, ReplayResult } from './replay.ts';
export type * from './types.ts';
