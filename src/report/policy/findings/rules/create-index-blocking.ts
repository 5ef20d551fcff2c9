import { lockStrength } from '../../../model/locks.ts';
import { int, ms, ownMigrationNote, relationOf } from '../sql.ts';
import { type Finding, type Rule, findingLocation, waitSeverity } from '../types.ts';

/**
 * create-index-blocking: a plain `CREATE INDEX` takes a ShareLock on its table (every INSERT, UPDATE
 * and DELETE waits until the build ends; in a transaction, until it commits). Safe pattern:
 * `CREATE INDEX CONCURRENTLY` (a ShareUpdateExclusiveLock: reads and writes go on), which cannot
 * run in a transaction block — in its own migration when the tool wraps files in one.
 * Mechanical: --suggest adds CONCURRENTLY. Evidence: the lock, how long it was held, the rows.
 */
export const createIndexBlocking: Rule = {
  id: 'create-index-blocking',
  check(ctx) {
    const { statements, rows, format } = ctx;
    const out: Finding[] = [];
    for (const st of statements) {
      const { m, s, ast } = st;
      const idx = ast?.IndexStmt;
      if (!idx || idx.concurrent || s.error) continue;
      const rel = relationOf(idx.relation);
      if (!rel || ctx.createdHere(st, rel.text)) continue; // nobody else sees the table before it commits
      const n = rows(rel.text, st);
      if (n === null || (n === 0 && !ctx.couldWait(st, rel.text))) continue; // empty, nothing waited: nothing to say
      const lock = s.strongestLocks.find((l) => l.relation.replace(/^public\./, '') === rel.name) ?? s.strongestLocks[0];
      const blocked = s.maxBlockedMs ?? 0;
      const strong = lock ? lockStrength(lock.mode) >= lockStrength('ShareLock') : true;
      if (!strong) continue;
      out.push({
        rule: 'create-index-blocking',
        severity: waitSeverity(ctx, st, rel.text),
        ...findingLocation(m, s),
        title: `CREATE INDEX held ${lock?.mode ?? 'ShareLock'} on ${rel.name} (${int(n)} rows) for ${ms(s.lockHeldMs)}: writes to it waited${blocked ? ` (longest app wait ${ms(blocked)})` : ''}`,
        evidence: { table: rel.name, rows: n, lockMode: lock?.mode ?? 'ShareLock', lockHeldMs: s.lockHeldMs, durationMs: s.durationMs, maxBlockedMs: blocked },
        advice: `Build it with CREATE INDEX CONCURRENTLY: it takes a ShareUpdateExclusiveLock, so reads and writes go on while it builds (it takes longer and cannot run in a transaction block; if it fails it leaves an INVALID index to drop and build again).${ownMigrationNote(format)}`,
        suggestedSql: s.sql.replace(/^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX)\b/i, '$1 CONCURRENTLY'),
        mechanical: true,
      });
    }
    return out;
  },
};
