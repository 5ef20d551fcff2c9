/**
 * `rehearse capture`: the statements the new version of an application sends, recorded by
 * pg_stat_statements while its own command (its test suite) runs against a scratch database of the
 * rehearsal's dataset at the migrated schema; written in the statistics file's traffic form
 * (docs/workload.md, "The new version's queries: capture").
 */
export { capture, type CaptureOutcome, type CaptureRequest } from './capture.ts';
export { checkCapturedCommand, describeCommand, type CapturedCommand, type CommandOutcome } from './command.ts';
