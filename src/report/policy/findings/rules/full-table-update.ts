import { columnRefs, int, ms, relationOf } from '../sql.ts';
import { type Finding, type Rule, findingLocation, waitSeverity } from '../types.ts';

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
      const reads = columnRefs((upd.targetList ?? []).map((t: any) => t.ResTarget?.val));
      const idempotent = !reads.some((c) => targets.includes(c));
      const mechanical = idempotent && !upd.fromClause && !upd.returningList && !upd.withClause;
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
        },
        advice:
          `Backfill in batches, each committed on its own and outside the migration's transaction: at the measured ${int(perSecond)} rows/s, batches of ${int(batch)} rows hold their row locks about ${BATCH_TARGET_MS} ms each. ` +
          `Keep new writes consistent meanwhile (a trigger, or the app writing both columns), and run the rest of the migration (SET NOT NULL, the contract step) after the backfill.`,
        suggestedSql: mechanical ? batchedUpdate(s.sql, whereAt, rel.text, batch, affected, perSecond) : null,
        mechanical,
      });
    }
    return out;
  },
};

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
export function batchedUpdate(sql: string, whereAt: number | null, table: string, batch: number, rows: number, perSecond: number): string {
  const bytes = Buffer.from(sql.replace(/;\s*$/, ''), 'utf8');
  const head = (whereAt === null ? bytes : bytes.subarray(0, whereAt)).toString('utf8').trimEnd();
  const where =
    whereAt === null
      ? null
      : bytes
          .subarray(whereAt + 'WHERE'.length)
          .toString('utf8')
          .trim();
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
    'END',
    '$rehearse$',
  ].join('\n');
}
