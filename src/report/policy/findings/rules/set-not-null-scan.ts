import { ident, int, ms, ownTransaction, truncate } from '../sql.ts';
import { type AnalyzedStatement, type Finding, type Rule, alterTables, findingLocation, waitSeverity } from '../types.ts';

/**
 * set-not-null-scan: `ALTER COLUMN … SET NOT NULL` scans the whole table under an
 * AccessExclusiveLock (no read or write gets through) unless a validated `CHECK (col IS NOT NULL)`
 * proves it already. Safe pattern: `ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID`, commit,
 * `VALIDATE CONSTRAINT` (ShareUpdateExclusive), then `SET NOT NULL` (uses the check: brief), then
 * drop the check. Mechanical (one SET NOT NULL per ALTER TABLE): --suggest writes the four steps.
 */
export const setNotNullScan: Rule = {
  id: 'set-not-null-scan',
  check(ctx) {
    const { statements, rows } = ctx;
    const out: Finding[] = [];
    for (const st of alterTables(statements)) {
      const { m, s, rel, cmds, at } = st;
      const set = cmds.find((c: any) => c?.subtype === 'AT_SetNotNull');
      if (!set || ctx.createdHere(st, rel.text)) continue;
      const n = rows(rel.text, st);
      if (!n) continue;
      if (provenBefore(statements.slice(0, at), rel.name, set.name)) continue;
      const check = truncate(`${rel.name}_${set.name}_not_null_check`);
      const mechanical = cmds.length === 1;
      const t = rel.text;
      const c = ident(set.name);
      out.push({
        rule: 'set-not-null-scan',
        severity: waitSeverity(ctx, st, rel.text),
        ...findingLocation(m, s),
        title: `SET NOT NULL on ${rel.name}.${set.name} scanned ${int(n)} rows under AccessExclusiveLock (held ${ms(s.lockHeldMs)})`,
        evidence: { table: rel.name, column: set.name, rows: n, lockMode: 'AccessExclusiveLock', lockHeldMs: s.lockHeldMs, durationMs: s.durationMs },
        advice:
          `Prove it first without blocking: ADD CONSTRAINT … CHECK (${set.name} IS NOT NULL) NOT VALID, commit, VALIDATE CONSTRAINT (scans under ShareUpdateExclusiveLock), then SET NOT NULL — PostgreSQL uses the validated check and skips its own scan, so the AccessExclusiveLock is brief — then drop the check.` +
          readsOtherBackfill(statements.slice(0, at), st, set.name),
        suggestedSql: mechanical
          ? [
              ownTransaction([`ALTER TABLE ${t} ADD CONSTRAINT ${ident(check)} CHECK (${c} IS NOT NULL) NOT VALID`]),
              ownTransaction([`ALTER TABLE ${t} VALIDATE CONSTRAINT ${ident(check)}`]),
              ownTransaction([`ALTER TABLE ${t} ALTER COLUMN ${c} SET NOT NULL`, `ALTER TABLE ${t} DROP CONSTRAINT ${ident(check)}`]),
            ].join('\n')
          : null,
        mechanical,
      });
    }
    return out;
  },
};

/**
 * The column was filled earlier in the same migration by an UPDATE that reads other tables: once
 * the steps commit one by one, rows the apps write meanwhile stay NULL (nothing fills them) and
 * VALIDATE fails. Said in the advice; the rehearsal of the rewrite shows it.
 */
function readsOtherBackfill(earlier: AnalyzedStatement[], st: AnalyzedStatement, column: string): string {
  const fill = earlier.find(({ m, ast }) => {
    const upd = ast?.UpdateStmt;
    if (m !== st.m || upd?.relation?.relname !== st.ast?.AlterTableStmt?.relation?.relname) return false;
    const sets = (upd.targetList ?? []).some((t: any) => t.ResTarget?.name === column);
    return sets && (Boolean(upd.fromClause) || JSON.stringify(upd.targetList).includes('"SubLink"'));
  });
  return fill
    ? ` The backfill at line ${fill.s.line} reads other tables: once these steps commit one by one, rows the apps write without ${column} meanwhile stay NULL and VALIDATE fails (23514) — the app must write ${column} itself first, or keep the backfill and SET NOT NULL in one transaction.`
    : '';
}

/** An earlier statement of the run validated (or added valid) a CHECK (col IS NOT NULL) on the table. */
function provenBefore(earlier: AnalyzedStatement[], table: string, column: string): boolean {
  const checks = new Set<string>();
  let valid = false;
  for (const { ast } of earlier) {
    const alter = ast?.AlterTableStmt;
    if (!alter || alter.relation?.relname !== table) continue;
    for (const wrapped of alter.cmds ?? []) {
      const c = wrapped.AlterTableCmd;
      const con = c?.def?.Constraint;
      if (c?.subtype === 'AT_AddConstraint' && con?.contype === 'CONSTR_CHECK') {
        const test = con.raw_expr?.NullTest;
        const col = test?.arg?.ColumnRef?.fields?.at(-1)?.String?.sval;
        if (test?.nulltesttype === 'IS_NOT_NULL' && col === column) {
          if (con.skip_validation) checks.add(con.conname);
          else valid = true;
        }
      }
      if (c?.subtype === 'AT_ValidateConstraint' && checks.has(c.name)) valid = true;
    }
  }
  return valid;
}
