/** A workload derived from production's statistics (`rehearse workload --from`): docs/workload.md, "From production". */
export { deriveWorkload, chooseStatements } from './derive.ts';
export { bindStatement, type Binding } from './bind.ts';
export { workloadYaml } from './yaml.ts';
export { deriveNewApp, matchNewStatements, DEFAULT_NEW_RATE, type MatchKind, type NewStatementRate } from './new-app.ts';
export type * from './types.ts';
