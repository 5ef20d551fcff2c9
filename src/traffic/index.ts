/**
 * The traffic stage: simulated application versions running named queries against the rehearsal
 * database while the migrations replay (latency per phase, errors by SQLSTATE, a bounded
 * timeline), probes of every query at each schema state, and the compatibility matrix from them.
 * The workload file format is in docs/workload.md.
 */
export { parseWorkload, readWorkload, type ScriptReader } from './workload.ts';
export { parsePgbenchScript } from './pgbench.ts';
export { startTraffic, phaseName, BASELINE, AFTER, type TrafficOptions } from './driver.ts';
export { probeAll, type ProbeOptions } from './probe.ts';
export { compatibilityMatrix } from './compat.ts';
export { parseDuration } from '../core/duration.ts';
export type * from './types.ts';
