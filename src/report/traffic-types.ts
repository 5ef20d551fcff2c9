import type { BlockingEntry } from '../observe/types.ts';
import type { AppResult, CompatibilityMatrix, QueryResult, TimelineBucket } from '../traffic/types.ts';
import type { Report, ReportMigration, ReportStatement } from './types.ts';

/**
 * Names the renderers, budgets and compare use for the traffic parts of a report (issue 3): the
 * report's own types. A report without a workload has `workload: null`, `blocking: []`,
 * `compatibility: null`, and the statements carry no blockedQueries.
 */
export type WithTraffic = Report;
export type TrafficStatement = ReportStatement;
export type TrafficMigration = ReportMigration;
export type TrafficQuery = QueryResult;
export type TrafficApp = AppResult;
export type TrafficBucket = TimelineBucket;
export type BlockingRecord = BlockingEntry;
export type Compatibility = CompatibilityMatrix;

/** The name of an app in compatibility.apps. */
export const appName = (a: { name: string }): string => a.name;

/** Epoch ms of an ISO time or an epoch number. */
export const epochOf = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));
