/**
 * The schema stage: read a database's structure into a canonical model, compare two models, and
 * list the hazards a final schema carries. See docs/schema-model.md.
 */
export { introspect } from './introspect/index.ts';
export { diffSchemas, isEmptyDiff } from './diff.ts';
export { schemaHazards } from './hazards.ts';
export { objectKey } from './identity.ts';
export type * from './types.ts';
