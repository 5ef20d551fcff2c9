export * from './schema.ts';
export * from './traffic-schema.ts';
export { readStatsFile, requireStatements } from './read.ts';
export { collectStats, tablesWithoutColumnStats, SPEED_SETTINGS, type CollectOptions } from './collect.ts';
export { loadSqlParser, readStatementText, tablesNamed, withoutComments, type StatementReading } from './statement-text.ts';
export {
  collectTraffic,
  statementsAccess,
  readStatementCounters,
  statementsOfWindow,
  distribution,
  OWN_MARK,
  type TrafficOptions,
  type StatementCounters,
} from './traffic.ts';
