import { parse, scan } from 'libpg-query';
import type { Report } from '../../model/types.ts';
import { breaksRunningApp } from './rules/breaks-running-app.ts';
import { constraintValidatedUnderLock } from './rules/constraint-validated-under-lock.ts';
import { createIndexBlocking } from './rules/create-index-blocking.ts';
import { ddlWaitedInLockQueue } from './rules/ddl-waited-in-lock-queue.ts';
import { fullTableUpdate } from './rules/full-table-update.ts';
import { lockHeldAcrossStatements } from './rules/lock-held-across-statements.ts';
import { rewriteTypeChange } from './rules/rewrite-type-change.ts';
import { setNotNullScan } from './rules/set-not-null-scan.ts';
import type { AnalyzedStatement, Finding, FindingContext, Rule } from './types.ts';

export type { Finding, FindingRule, FindingSeverity } from './types.ts';
export { FINDING_RULES } from './types.ts';
export { SUGGESTED_LOCK_TIMEOUT } from './rules/ddl-waited-in-lock-queue.ts';

/** Every rule, in the order findings of one statement are listed (the first mechanical one is what --suggest applies). */
export const RULES: Rule[] = [
  createIndexBlocking,
  constraintValidatedUnderLock,
  setNotNullScan,
  fullTableUpdate,
  ddlWaitedInLockQueue,
  rewriteTypeChange,
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
  for (const m of report.migrations) {
    for (const s of m.statements) statements.push({ m, s, ...(await parsed(s.sql)) });
  }
  const rows = new Map<string, number>();
  for (const t of report.dataset?.tables ?? []) rows.set(norm(t.name), t.rows);
  const ctx: FindingContext = {
    report,
    format: report.migrationSource?.format ?? null,
    statements,
    rows: (relation) => rows.get(norm(relation)) ?? null,
  };
  const order = new Map(report.migrations.map((m, i) => [m.id, i]));
  return RULES.flatMap((r) => r.check(ctx)).sort(
    (a, b) =>
      (order.get(a.migrationId) ?? 0) - (order.get(b.migrationId) ?? 0) ||
      (a.statementIndex ?? -1) - (b.statementIndex ?? -1) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity],
  );
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
