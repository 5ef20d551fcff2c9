/**
 * The analyze stage, after observe and replay: the sampler's blocking intervals attributed to the
 * migration statements and application queries, and each statement's impact on the applications;
 * predictions at production size (predict/, docs/predictions.md).
 */
export { attributeBlocking } from './attribute.ts';
export { addImpact, downId } from './impact.ts';
export { addImpactAtProductionRate, impactAtProductionRate, lockOf } from './production-rate.ts';
export type * from './types.ts';
export * from './predict/index.ts';
