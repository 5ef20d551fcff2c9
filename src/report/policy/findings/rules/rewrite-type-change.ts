import { int, ms } from '../sql.ts';
import { type Finding, type Rule, alterTables, blockingSeverity, findingLocation } from '../types.ts';

/**
 * rewrite-type-change: `ALTER COLUMN … TYPE` that rewrote the table (its relfilenode changed) copies
 * every row and rebuilds every index under an AccessExclusiveLock: nothing reads or writes the table
 * until it ends. Safe pattern (expand/contract): add a column of the new type, keep it in step with
 * a trigger, backfill it in batches, switch the app to it, then drop the old one and rename.
 * Not mechanical: the app changes with it.
 */
export const rewriteTypeChange: Rule = {
  id: 'rewrite-type-change',
  check({ statements, rows }) {
    const out: Finding[] = [];
    for (const { m, s, rel, cmds } of alterTables(statements)) {
      if (s.rewrites.length === 0) continue;
      const cmd = cmds.find((c: any) => c?.subtype === 'AT_AlterColumnType');
      if (!cmd) continue;
      const n = rows(rel.name) ?? 0;
      const col = cmd.name as string;
      const type =
        (cmd.def?.ColumnDef?.typeName?.names ?? [])
          .map((x: any) => x.String?.sval)
          .filter((x: string) => x !== 'pg_catalog')
          .join('.') || 'the new type';
      out.push({
        rule: 'rewrite-type-change',
        severity: blockingSeverity(s),
        ...findingLocation(m, s),
        title: `ALTER COLUMN ${col} TYPE rewrote ${rel.name} (${int(n)} rows) and ${s.rewrites.length - 1} other relation(s) under AccessExclusiveLock for ${ms(s.lockHeldMs)}`,
        evidence: {
          table: rel.name,
          column: col,
          rows: n,
          rewritten: s.rewrites.length,
          lockMode: 'AccessExclusiveLock',
          lockHeldMs: s.lockHeldMs,
          durationMs: s.durationMs,
        },
        advice: `Expand/contract instead of a rewrite: add ${col}_new ${type}, keep it in step with a trigger, backfill it in batches, move the app to it, then (after the old app is gone) drop ${col} and rename ${col}_new — each step holds its AccessExclusiveLock only briefly.`,
        suggestedSql: [
          `ALTER TABLE ${rel.text} ADD COLUMN ${col}_new ${type};`,
          `-- a trigger copying ${col} into ${col}_new on INSERT/UPDATE, then a batched backfill:`,
          `-- UPDATE ${rel.text} SET ${col}_new = ${col} WHERE ${col}_new IS NULL AND <batch>;`,
          `-- after the app reads ${col}_new and the old app is gone:`,
          `-- ALTER TABLE ${rel.text} DROP COLUMN ${col}; ALTER TABLE ${rel.text} RENAME COLUMN ${col}_new TO ${col};`,
        ].join('\n'),
        mechanical: false,
      });
    }
    return out;
  },
};
