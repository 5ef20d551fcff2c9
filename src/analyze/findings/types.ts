import type { MigrationFormat } from '../../migrations/index.ts';
import type { Report, ReportMigration, ReportStatement } from '../../report/index.ts';

/**
 * Findings: each problem the rehearsal measured, with the safe pattern for it in words and SQL and
 * the rehearsal's own figures as evidence. One rule per file under rules/ (docs/findings.md lists
 * them); a rule is a pure function of the report and the statements' parse trees.
 */

/** Stable rule ids: report.json's findings[].rule, SARIF's ruleId (pg-rehearse/<id>). */
export const FINDING_RULES = [
  'lock-held-across-statements',
  'create-index-blocking',
  'constraint-validated-under-lock',
  'set-not-null-scan',
  'full-table-update',
  'rewrite-type-change',
  'ddl-waited-in-lock-queue',
  'breaks-running-app',
] as const;
export type FindingRule = (typeof FINDING_RULES)[number];

export type FindingSeverity = 'error' | 'warning' | 'info';

export interface Finding {
  rule: FindingRule;
  /** error: it blocked the apps (or broke one) past a second in this rehearsal; warning: the pattern
   *  blocks in proportion to the table, measured small here; info: expected (a contract step) */
  severity: FindingSeverity;
  migrationId: string;
  statementIndex: number | null;
  file: string | null;
  line: number | null;
  /** one line: what was measured */
  title: string;
  /** the figures behind it, as measured (milliseconds, rows, lock modes, tables) */
  evidence: Record<string, number | string>;
  /** the safe pattern in words, with the migration tool's own constraint where it matters */
  advice: string;
  /** the statement rewritten the safe way (null when the fix needs more than SQL: an app change, a deploy order) */
  suggestedSql: string | null;
  /** `--suggest` applies suggestedSql in place of the statement and rehearses it */
  mechanical: boolean;
}

/** A statement with its migration and its parse tree (null when it could not be parsed). */
export interface AnalyzedStatement {
  m: ReportMigration;
  s: ReportStatement;
  /** the parse tree's statement node, e.g. { IndexStmt: {...} } */
  ast: Record<string, any> | null;
  /** byte offset in s.sql of the top-level WHERE keyword (outside parentheses), null when none */
  whereAt: number | null;
}

export interface FindingContext {
  report: Report;
  format: MigrationFormat | null;
  statements: AnalyzedStatement[];
  /** rows of a table before the migrations ran (dataset summary), null when unknown */
  rows: (relation: string) => number | null;
}

export interface Rule {
  id: FindingRule;
  check(ctx: FindingContext): Finding[];
}
