import { parse, scan } from 'libpg-query';
import type { Report } from '../../model/types.ts';
import { breaksRunningApp } from './rules/breaks-running-app.ts';
import { constraintValidatedUnderLock } from './rules/constraint-validated-under-lock.ts';
import { createIndexBlocking } from './rules/create-index-blocking.ts';
import { ddlWaitedInLockQueue } from './rules/ddl-waited-in-lock-queue.ts';
import { fullTableUpdate } from './rules/full-table-update.ts';
import { lockHeldAcrossStatements } from './rules/lock-held-across-statements.ts';
import { tableRewrite } from './rules/table-rewrite.ts';
import { setNotNullScan } from './rules/set-not-null-scan.ts';
import type { AnalyzedStatement, Finding, FindingContext, Rule } from './types.ts';

export type { Finding, FindingRule, FindingSeverity } from './types.ts';
export { FINDING_RULES } from './types.ts';
export { SUGGESTED_LOCK_TIMEOUT } from './rules/ddl-waited-in-lock-queue.ts';
export { REWRITE_CAUSES, type RewriteCause } from './rules/table-rewrite.ts';

/** Every rule, in the order findings of one statement are listed (the first mechanical one is what --suggest applies). */
export const RULES: Rule[] = [
  createIndexBlocking,
  constraintValidatedUnderLock,
  setNotNullScan,
  fullTableUpdate,
  ddlWaitedInLockQueue,
  tableRewrite,
  lockHeldAcrossStatements,
  breaksRunningApp,
];

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/**
 * The findings of a rehearsal: every rule over the replayed statements (their parse trees and
 * measured figures), in migration and statement order. Reads nothing but the report.
 */
export async function analyzeFindings(report: Report): Promise<Finding[]> {
  const statements: AnalyzedStatement[] = [];
  const changed = new Map<string, number>();
  for (const m of report.migrations) {
    // relations created by the statements of the transaction so far, from their parse trees
    let chain = new Set<string>();
    for (const s of m.statements) {
      const tree = await parsed(s.sql);
      if (!s.inTransaction) chain = new Set();
      if (!s.error) for (const name of createdBy(tree.ast)) chain.add(name);
      // the replay's trace says exactly what the transaction created; locks sampled from outside
      // (a --migrate-command, a statement outside a transaction) have only the statements to go by
      const created = new Set([...(s.createdInTransaction ?? []).map(norm), ...(s.lockSource === 'sampled' ? chain : [])]);
      const st: AnalyzedStatement = { m, s, ...tree, created, rowsBefore: new Map(changed) };
      statements.push(st);
      rowsChanged(st, changed);
    }
  }
  const rows = new Map<string, number>();
  for (const t of report.dataset?.tables ?? []) rows.set(norm(t.name), t.rows);
  const predicted = new Map<string, number>();
  for (const t of report.prediction?.tables ?? []) predicted.set(norm(t.name), t.targetRows);
  const rowsAt = (relation: string, at?: AnalyzedStatement) => at?.rowsBefore.get(norm(relation)) ?? rows.get(norm(relation)) ?? null;
  const ctx: FindingContext = {
    report,
    format: report.migrationSource?.format ?? null,
    statements,
    rows: rowsAt,
    createdHere: (at, relation) => at.created.has(norm(relation)),
    couldWait: (at, relation) =>
      (rowsAt(relation, at) ?? 1) > 0 || (predicted.get(norm(relation)) ?? 0) > 0 || (at.s.maxBlockedMs ?? 0) > 0 || (at.s.blockedQueries ?? 0) > 0,
  };
  const order = new Map(report.migrations.map((m, i) => [m.id, i]));
  return RULES.flatMap((r) => r.check(ctx)).sort(
    (a, b) =>
      (order.get(a.migrationId) ?? 0) - (order.get(b.migrationId) ?? 0) ||
      (a.statementIndex ?? -1) - (b.statementIndex ?? -1) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity],
  );
}

/** The relations a statement creates, by its parse tree (normalized names): tables, indexes, CREATE TABLE AS / SELECT INTO. */
function createdBy(ast: AnalyzedStatement['ast']): string[] {
  if (!ast) return [];
  const name = (rv: any) => (rv?.relname ? [norm((rv.schemaname ? `${rv.schemaname}.` : '') + rv.relname)] : []);
  if (ast.CreateStmt) return name(ast.CreateStmt.relation);
  if (ast.CreateTableAsStmt) return name(ast.CreateTableAsStmt.into?.rel);
  if (ast.SelectStmt?.intoClause) return name(ast.SelectStmt.intoClause.rel);
  if (ast.IndexStmt?.idxname) return [norm((ast.IndexStmt.relation?.schemaname ? `${ast.IndexStmt.relation.schemaname}.` : '') + ast.IndexStmt.idxname)];
  return [];
}

/** The rows a statement that succeeded left in the tables it filled, emptied or created (by its command tag). */
function rowsChanged({ s, ast }: AnalyzedStatement, rows: Map<string, number>): void {
  if (s.error || !ast) return;
  const name = (rv: any) => (rv?.relname ? norm((rv.schemaname ? `${rv.schemaname}.` : '') + rv.relname) : null);
  const n = s.rowsAffected ?? 0;
  const add = (rv: any, delta: number) => {
    const t = name(rv);
    if (t) rows.set(t, Math.max(0, (rows.get(t) ?? 0) + delta));
  };
  const set = (rv: any, value: number) => {
    const t = name(rv);
    if (t) rows.set(t, value);
  };
  if (ast.InsertStmt) add(ast.InsertStmt.relation, n);
  else if (ast.DeleteStmt) add(ast.DeleteStmt.relation, -n);
  else if (ast.CopyStmt?.is_from) add(ast.CopyStmt.relation, n);
  else if (ast.CreateStmt) set(ast.CreateStmt.relation, 0);
  else if (ast.CreateTableAsStmt) set(ast.CreateTableAsStmt.into?.rel, n);
  else if (ast.SelectStmt?.intoClause) set(ast.SelectStmt.intoClause.rel, n);
  else if (ast.TruncateStmt) for (const r of ast.TruncateStmt.relations ?? []) set(r.RangeVar, 0);
}

const norm = (name: string) => name.replace(/"/g, '').replace(/^public\./, '');

async function parsed(sql: string): Promise<{ ast: AnalyzedStatement['ast']; whereAt: number | null }> {
  try {
    const stmt = (await parse(sql)).stmts?.[0]?.stmt as AnalyzedStatement['ast'] | undefined;
    if (!stmt) return { ast: null, whereAt: null };
    return { ast: stmt, whereAt: stmt.UpdateStmt ? await topLevelWhere(sql) : null };
  } catch {
    return { ast: null, whereAt: null };
  }
}

/** Byte offset of the WHERE keyword outside any parentheses (the UPDATE's own WHERE). */
async function topLevelWhere(sql: string): Promise<number | null> {
  const bytes = Buffer.from(sql, 'utf8');
  let depth = 0;
  for (const t of (await scan(sql)).tokens) {
    if (t.tokenName === 'ASCII_40') depth++;
    else if (t.tokenName === 'ASCII_41') depth--;
    else if (depth === 0 && bytes.subarray(t.start, t.end).toString('utf8').toUpperCase() === 'WHERE') return t.start;
  }
  return null;
}
