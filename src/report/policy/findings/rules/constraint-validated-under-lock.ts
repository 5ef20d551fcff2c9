import { columnRefs, defaultConstraintName, ident, int, ms, ownTransaction } from '../sql.ts';
import { type Finding, type Rule, alterTables, findingLocation, waitSeverity } from '../types.ts';

/**
 * constraint-validated-under-lock: `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY / CHECK` without
 * NOT VALID checks every existing row while it holds the table's lock (ShareRowExclusive for a
 * foreign key, AccessExclusive for a CHECK): writes (for a CHECK, reads too) wait for the scan.
 * Safe pattern: add it `NOT VALID` (brief lock, no scan), commit, then `VALIDATE CONSTRAINT` in a
 * transaction of its own (ShareUpdateExclusiveLock: reads and writes go on).
 * Mechanical (one ADD CONSTRAINT per ALTER TABLE): --suggest writes the two steps.
 */
export const constraintValidatedUnderLock: Rule = {
  id: 'constraint-validated-under-lock',
  check(ctx) {
    const { statements, rows } = ctx;
    const out: Finding[] = [];
    for (const st of alterTables(statements)) {
      const { m, s, rel, cmds } = st;
      if (ctx.createdHere(st, rel.text)) continue;
      const adds = cmds.filter(
        (c: any) =>
          c?.subtype === 'AT_AddConstraint' && ['CONSTR_FOREIGN', 'CONSTR_CHECK'].includes(c.def?.Constraint?.contype) && !c.def.Constraint.skip_validation,
      );
      if (adds.length === 0) continue;
      const n = rows(rel.text, st);
      if (!n) continue;
      const con = adds[0].def.Constraint;
      const kind = con.contype === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK';
      const name: string =
        con.conname ??
        (kind === 'CHECK'
          ? defaultConstraintName(rel.name, columnRefs(con.raw_expr), 'check')
          : defaultConstraintName(
              rel.name,
              (con.fk_attrs ?? []).map((a: any) => a.String?.sval),
              'fkey',
            ));
      const lock = s.strongestLocks[0];
      const mechanical = cmds.length === 1 && adds.length === 1;
      const added = con.conname ? s.sql : s.sql.replace(/\bADD\s+(CHECK|FOREIGN\s+KEY)\b/i, `ADD CONSTRAINT ${ident(name)} $1`);
      out.push({
        rule: 'constraint-validated-under-lock',
        severity: waitSeverity(ctx, st, rel.text),
        ...findingLocation(m, s),
        title: `ADD CONSTRAINT ${kind} checked ${int(n)} rows of ${rel.name} under ${lock?.mode ?? 'its lock'} for ${ms(s.lockHeldMs)}`,
        evidence: { table: rel.name, rows: n, constraint: name, kind, lockMode: lock?.mode ?? '', lockHeldMs: s.lockHeldMs, durationMs: s.durationMs },
        advice: `Add the constraint NOT VALID (a brief lock, existing rows not checked; new rows are), commit, then VALIDATE CONSTRAINT in a transaction of its own: it scans under a ShareUpdateExclusiveLock, so reads and writes go on.`,
        suggestedSql: mechanical
          ? [ownTransaction([`${added.replace(/;\s*$/, '')} NOT VALID`]), ownTransaction([`ALTER TABLE ${rel.text} VALIDATE CONSTRAINT ${ident(name)}`])].join(
              '\n',
            )
          : null,
        mechanical,
      });
    }
    return out;
  },
};
