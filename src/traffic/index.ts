/**
 * The traffic stage: simulated application versions running named queries against the rehearsal
 * database while the migrations replay (latency per phase, errors by SQLSTATE, a bounded
 * timeline), probes of every query at each schema state, and the compatibility matrix from them.
 * The workload file format is in docs/workload.md.
 */
export { parseWorkload, readWorkload, type ScriptReader } from './workload.ts';
export { parsePgbenchScript } from './pgbench.ts';
export { startTraffic, phaseName, BASELINE, AFTER, type TrafficOptions } from './driver.ts';
export { openProber, probeAll, type ProbeOptions, type Prober } from './probe.ts';
export { compatibilityMatrix } from './compat.ts';
export { parseDuration } from '../core/duration.ts';
export { connectionsNeeded, describeNeed, type ConnectionNeed } from './connections.ts';
export type * from './types.ts';
export { checkWorkloadSyntax } from './syntax.ts';
export { readTraffic, workloadSource, type TrafficSource } from './source.ts';
export { logSource, type LogSourceOptions } from './log/source.ts';
export { deriveWorkload, workloadYaml, bindStatement, chooseStatements, type DeriveOptions, type DerivedWorkload } from './derive/index.ts';
