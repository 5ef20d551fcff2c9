import { columnRefs, ident, int, ms, ownTransaction, relationOf, truncate } from '../sql.ts';
import { type AnalyzedStatement, type Finding, type Rule, findingLocation, waitSeverity } from '../types.ts';

/** How long one batch may hold its row locks (ms): the batch size is computed from the measured rate. */
export const BATCH_TARGET_MS = 200;

/**
 * full-table-update: one UPDATE of (nearly) every row holds a row lock on each of them until its
 * transaction commits — every app write to those rows waits — and writes the whole table's worth of
 * WAL at once. Safe pattern: batches, each committed on its own, outside the migration's
 * transaction, sized from the measured rows per second so a batch holds its locks under
 * BATCH_TARGET_MS. Mechanical when the SET expressions do not read the columns they set (so running
 * a batch twice changes nothing) and there is no FROM / RETURNING / WITH: --suggest writes a DO
 * block that walks the table in ctid ranges (TID range scans, PostgreSQL 14+) and commits after each.
 */
export const fullTableUpdate: Rule = {
  id: 'full-table-update',
  check(ctx) {
    const { statements, rows } = ctx;
    const out: Finding[] = [];
    for (const st of statements) {
      const { m, s, ast, whereAt } = st;
      const upd = ast?.UpdateStmt;
      if (!upd || s.error || s.rowsAffected === null) continue;
      const rel = relationOf(upd.relation);
      if (!rel || ctx.createdHere(st, rel.text)) continue;
      const n = rows(rel.text, st);
      const affected = s.rowsAffected;
      if (affected < 1000 || (n !== null && affected < 0.5 * n)) continue;
      const perSecond = s.durationMs > 0 ? (affected * 1000) / s.durationMs : affected;
      const batch = roundBatch((perSecond * BATCH_TARGET_MS) / 1000);
      const targets: string[] = (upd.targetList ?? []).map((t: any) => t.ResTarget?.name).filter(Boolean);
      const values = (upd.targetList ?? []).map((t: any) => t.ResTarget?.val);
      const reads = columnRefs(values);
      const idempotent = !reads.some((c) => targets.includes(c));
      const readsOther = Boolean(upd.fromClause) || hasSubLink(values);
      // columns the migration added just before (no default: NULL in every row): the backfill fills them
      const added = addedBefore(statements, st, rel.name);
      const fills = targets.length > 0 && targets.every((c) => added.has(c));
      const keep: Keep | null = fills && !readsOther ? (reads.length === 0 ? 'default' : 'trigger') : null;
      const mechanical = idempotent && !upd.fromClause && !upd.returningList && !upd.withClause && !readsOther;
      const sqlOf = (i: number) => exprText(s.sql, values[i]);
      out.push({
        rule: 'full-table-update',
        severity: waitSeverity(ctx, st, rel.text, s.durationMs),
        ...findingLocation(m, s),
        title: `UPDATE of ${int(affected)} rows of ${rel.name} in one statement: row locks on all of them held ${ms(s.lockHeldMs)}`,
        evidence: {
          table: rel.name,
          rowsAffected: affected,
          durationMs: s.durationMs,
          lockHeldMs: s.lockHeldMs,
          rowsPerSecond: Math.round(perSecond),
          batchRows: batch,
          batchTargetMs: BATCH_TARGET_MS,
          ...(keep ? { keepsWritesBy: keep } : {}),
        },
        advice:
          `Backfill in batches, each committed on its own and outside the migration's transaction: at the measured ${int(perSecond)} rows/s, batches of ${int(batch)} rows hold their row locks about ${BATCH_TARGET_MS} ms each. ` +
          (keep === 'default'
            ? `Rows the apps write meanwhile get ${targets.join(', ')} from a column DEFAULT set before the backfill (the same value expression), and the backfill re-checks for rows still missing before anything validates them; drop the DEFAULT in a contract step once every app writes the column.`
            : keep === 'trigger'
              ? `Rows the apps write meanwhile get ${targets.join(', ')} from a trigger computing the same expression on INSERT and UPDATE, created before the backfill, and the backfill re-checks for rows still missing before anything validates them; drop the trigger in a contract step once every app writes the column.`
              : fills && readsOther
                ? `The backfill reads other tables, so rows the apps write after it commits cannot be filled mechanically (no DEFAULT or same-row trigger computes it): the app must write ${targets.join(', ')} itself — deploy the version that does before splitting this migration — or the backfill and what depends on it (SET NOT NULL, a validation) stay in one transaction. A split rehearsed with the old app writing shows the rows it leaves empty.`
                : `Keep new writes consistent meanwhile (a trigger, or the app writing both columns), and run the rest of the migration (SET NOT NULL, the contract step) after the backfill.`),
        suggestedSql: mechanical
          ? keep
            ? consistentBackfill(
                keep,
                s.sql,
                whereAt,
                rel,
                targets.map((c, i) => ({ column: c, expr: sqlOf(i) })),
                upd.relation?.alias?.aliasname ?? rel.name,
                batch,
                affected,
                perSecond,
              )
            : batchedUpdate(s.sql, whereAt, rel.text, batch, affected, perSecond)
          : null,
        mechanical,
      });
    }
    return out;
  },
};

type Keep = 'default' | 'trigger';

/** A subquery anywhere in the tree: the value reads other rows or tables. */
function hasSubLink(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasSubLink);
  if (!node || typeof node !== 'object') return false;
  const o = node as Record<string, unknown>;
  return 'SubLink' in o || Object.values(o).some(hasSubLink);
}

/** Columns an ALTER TABLE … ADD COLUMN without a default added to the table earlier in the same migration. */
function addedBefore(statements: AnalyzedStatement[], st: AnalyzedStatement, table: string): Set<string> {
  const out = new Set<string>();
  for (const x of statements) {
    if (x === st) break;
    const alter = x.ast?.AlterTableStmt;
    if (x.m !== st.m || x.s.error || alter?.relation?.relname !== table) continue;
    for (const c of alter.cmds ?? []) {
      const col = c.AlterTableCmd?.subtype === 'AT_AddColumn' ? c.AlterTableCmd.def?.ColumnDef : null;
      if (col && !(col.constraints ?? []).some((k: any) => ['CONSTR_DEFAULT', 'CONSTR_GENERATED', 'CONSTR_IDENTITY'].includes(k.Constraint?.contype)))
        out.add(col.colname);
    }
  }
  return out;
}

/** An expression's text as written: from its location to the end of the SET item (the next top-level comma, WHERE or the end). */
function exprText(sql: string, node: any): string {
  const at = firstLocation(node);
  const bytes = Buffer.from(sql.replace(/;\s*$/, ''), 'utf8');
  if (at === null) return '';
  const text = bytes.subarray(at).toString('utf8');
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && (ch === ',' || /^\s(WHERE|FROM|RETURNING)\b/i.test(text.slice(i)))) return text.slice(0, i).trim();
  }
  return text.trim();
}

/** The smallest location in a node tree (where its text starts). */
function firstLocation(node: unknown): number | null {
  let best: number | null = null;
  const walk = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'location' && typeof v === 'number' && v >= 0) best = best === null ? v : Math.min(best, v);
        else walk(v);
      }
    }
  };
  walk(node);
  return best;
}

/**
 * A backfill of columns the migration just added, split out of its transaction, that keeps rows
 * written meanwhile right: a DEFAULT (a value that reads no column: a constant, gen_random_uuid())
 * or a trigger computing the same expression from the row (INSERT and UPDATE, only where it is
 * still NULL) in a transaction of its own before the batches; the batches fill what is NULL; a
 * last pass re-checks for rows still missing before anything after it validates the column. The
 * contract step (drop the DEFAULT or the trigger) comes once every app writes the column.
 */
function consistentBackfill(
  keep: Keep,
  sql: string,
  whereAt: number | null,
  rel: { text: string; name: string },
  cols: { column: string; expr: string }[],
  alias: string,
  batch: number,
  rows: number,
  perSecond: number,
): string {
  const t = rel.text;
  const missing = cols.map((c) => `${ident(c.column)} IS NULL`).join(' OR ');
  const { head, where } = splitAtWhere(sql, whereAt);
  const update = `${head} WHERE (${missing})${where ? ` AND (${where})` : ''}`;
  const fn = ident(truncate(`${rel.name}_${cols.map((c) => c.column).join('_')}_fill`));
  const setup =
    keep === 'default'
      ? cols.map((c) => `ALTER TABLE ${t} ALTER COLUMN ${ident(c.column)} SET DEFAULT ${c.expr}`)
      : [
          `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fill$ BEGIN ${cols
            .map((c) => `NEW.${ident(c.column)} := coalesce(NEW.${ident(c.column)}, (SELECT ${c.expr} FROM (SELECT NEW.*) AS ${ident(alias)}));`)
            .join(' ')} RETURN NEW; END $fill$`,
          `CREATE TRIGGER ${fn} BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
        ];
  const contract =
    keep === 'default'
      ? cols.map((c) => `ALTER TABLE ${t} ALTER COLUMN ${ident(c.column)} DROP DEFAULT;`).join(' ')
      : `DROP TRIGGER ${fn} ON ${t}; DROP FUNCTION ${fn}();`;
  return [
    `-- pg-rehearse: rows written during the backfill get ${cols.map((c) => c.column).join(', ')} from ${keep === 'default' ? 'a column DEFAULT' : 'a trigger'} set first;`,
    `-- contract step, in a later migration once every app writes ${cols.map((c) => c.column).join(', ')}: ${contract}`,
    ownTransaction(setup),
    batchedUpdate(update, Buffer.byteLength(head) + 1, t, batch, rows, perSecond, update),
  ].join('\n');
}

/** The UPDATE without its trailing semicolon, cut at the WHERE keyword's byte offset (libpg-query's): what comes before it and its condition. */
function splitAtWhere(sql: string, whereAt: number | null): { head: string; where: string | null } {
  const bytes = Buffer.from(sql.replace(/;\s*$/, ''), 'utf8');
  const head = (whereAt === null ? bytes : bytes.subarray(0, whereAt)).toString('utf8').trimEnd();
  const where =
    whereAt === null
      ? null
      : bytes
          .subarray(whereAt + 'WHERE'.length)
          .toString('utf8')
          .trim();
  return { head, where };
}

/** 1,234 → 1,200: two significant figures, at least 100. */
export function roundBatch(n: number): number {
  if (n < 100) return 100;
  const p = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.round(n / p) * p;
}

/**
 * The UPDATE as a DO block that commits between batches of ctid ranges: pages per batch from the
 * table's own rows per page (pg_class), the original WHERE kept. A DO block that commits cannot run
 * in a transaction block: the replay (and psql) run it on its own.
 */
export function batchedUpdate(sql: string, whereAt: number | null, table: string, batch: number, rows: number, perSecond: number, recheck?: string): string {
  const { head, where } = splitAtWhere(sql, whereAt);
  const literal = table.replace(/'/g, "''");
  const body = head
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return [
    `-- pg-rehearse: the UPDATE in batches of about ${int(batch)} rows (${int(rows)} rows at ${int(perSecond)} rows/s measured: ~${BATCH_TARGET_MS} ms of row locks per batch),`,
    '-- each committed on its own; run outside a transaction block.',
    'DO $rehearse$',
    'DECLARE',
    `  batch_rows constant bigint := ${batch};`,
    '  pages bigint;',
    '  step bigint;',
    '  lo bigint := 0;',
    'BEGIN',
    `  SELECT greatest(pg_relation_size('${literal}') / current_setting('block_size')::int, 1),`,
    '         greatest(1, ceil(batch_rows / greatest(c.reltuples / greatest(c.relpages, 1), 1)))',
    `    INTO pages, step FROM pg_class c WHERE c.oid = '${literal}'::regclass;`,
    '  WHILE lo < pages LOOP',
    body,
    `     WHERE ctid >= format('(%s,0)', lo)::tid AND ctid < format('(%s,0)', lo + step)::tid${where ? `\n       AND (${where})` : ''};`,
    '    COMMIT;',
    '    lo := lo + step;',
    '  END LOOP;',
    ...(recheck ? ['  -- rows still missing (written before the trigger or default was in place): one last pass', `  ${recheck.replace(/\n/g, ' ')};`] : []),
    'END',
    '$rehearse$',
  ].join('\n');
}
