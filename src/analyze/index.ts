/**
 * The analyze stage, after observe and replay: the sampler's blocking intervals attributed to the
 * migration statements and application queries, and each statement's impact on the applications.
 */
export { attributeBlocking } from './attribute.ts';
export { addImpact, downId } from './impact.ts';
export type * from './types.ts';
