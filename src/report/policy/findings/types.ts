import type { MigrationFormat } from '../../../migrations/index.ts';
import type { Report, ReportMigration, ReportStatement } from '../../model/types.ts';

/**
 * Findings: each problem the rehearsal measured, with the safe pattern for it in words and SQL and
 * the rehearsal's own figures as evidence. One rule per file under rules/ (docs/findings.md lists
 * them); a rule is a pure function of the report and the statements' parse trees.
 */

export { FINDING_RULES, type Finding, type FindingRule, type FindingSeverity } from '../../model/finding.ts';
import type { Finding, FindingRule } from '../../model/finding.ts';
import { relationOf } from './sql.ts';

/** A statement with its migration and its parse tree (null when it could not be parsed). */
export interface AnalyzedStatement {
  m: ReportMigration;
  s: ReportStatement;
  /** the parse tree's statement node, e.g. { IndexStmt: {...} } */
  ast: Record<string, any> | null;
  /** byte offset in s.sql of the top-level WHERE keyword (outside parentheses), null when none */
  whereAt: number | null;
  /** relations its own transaction created (normalized names): nobody else can see, so nobody can wait on, them */
  created: ReadonlySet<string>;
  /** rows of the tables the run changed before this statement (INSERT, DELETE, CREATE TABLE AS, TRUNCATE, …), by normalized name */
  rowsBefore: ReadonlyMap<string, number>;
}

/** An ALTER TABLE of a named table that ran without error, its subcommands unwrapped. */
export interface AlterTable extends AnalyzedStatement {
  /** its position in the statements the rules were given */
  at: number;
  rel: { text: string; name: string };
  /** the AlterTableCmd nodes, in order */
  cmds: any[];
}

/** The statements the ALTER TABLE rules look at, in order. */
export function alterTables(statements: AnalyzedStatement[]): AlterTable[] {
  return statements.flatMap((st, at) => {
    const alter = st.ast?.AlterTableStmt;
    const rel = alter && !st.s.error ? relationOf(alter.relation) : null;
    return rel ? [{ ...st, at, rel, cmds: (alter.cmds ?? []).map((c: any) => c.AlterTableCmd) }] : [];
  });
}

export interface FindingContext {
  report: Report;
  format: MigrationFormat | null;
  statements: AnalyzedStatement[];
  /** rows of a table when `at` ran (the dataset's, then what earlier statements inserted or deleted;
   *  before the migrations when `at` is not given), null when unknown */
  rows: (relation: string, at?: AnalyzedStatement) => number | null;
  /** the statement's own transaction created the relation (or the table an index or TOAST table of it belongs to) */
  createdHere: (at: AnalyzedStatement, relation: string) => boolean;
  /**
   * What could wait on the relation while the statement held its lock: its rows (or, with
   * --predict-for, the statistics' rows) and the apps' queries that did wait. Nothing → a finding
   * about it is info at most.
   */
  couldWait: (at: AnalyzedStatement, relation: string) => boolean;
}

/** A lock finding's severity: info when nothing could wait on the relation, else by how long the lock blocked. */
export function waitSeverity(ctx: FindingContext, at: AnalyzedStatement, relation: string, extraMs = 0): Finding['severity'] {
  return ctx.couldWait(at, relation) ? blockingSeverity(at.s, extraMs) : 'info';
}

export interface Rule {
  id: FindingRule;
  check(ctx: FindingContext): Finding[];
}

/** Where a finding points: its statement's migration, index and file:line (null when the statement has no file). */
export function findingLocation(m: ReportMigration, s: ReportStatement): Pick<Finding, 'migrationId' | 'statementIndex' | 'file' | 'line'> {
  return { migrationId: m.id, statementIndex: s.index, file: s.file || null, line: s.file ? s.line : null };
}

/** A blocking statement's severity: an error once it held its locks, or kept an app waiting, a second or more. */
export const blockingSeverity = (s: ReportStatement, extraMs = 0): Finding['severity'] =>
  s.lockHeldMs >= 1000 || (s.maxBlockedMs ?? 0) >= 1000 || extraMs >= 1000 ? 'error' : 'warning';
