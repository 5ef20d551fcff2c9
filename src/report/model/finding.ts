/**
 * A finding: a problem the rehearsal measured, with the safe pattern and its evidence
 * (docs/findings.md). The rules that make them are in policy/findings/.
 */

/** Stable rule ids: report.json's findings[].rule, SARIF's ruleId (pg-rehearse/<id>). */
export const FINDING_RULES = [
  'lock-held-across-statements',
  'create-index-blocking',
  'constraint-validated-under-lock',
  'set-not-null-scan',
  'full-table-update',
  'table-rewrite',
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
