import { ms } from '../sql.ts';
import { type Finding, type Rule, findingLocation } from '../types.ts';

/** The lock_timeout --suggest writes (and rehearses with retries). */
export const SUGGESTED_LOCK_TIMEOUT = '200ms';

/**
 * ddl-waited-in-lock-queue: the statement waited for its lock behind a running transaction, and the
 * apps' queries queued behind it (PostgreSQL's lock queue: a waiting AccessExclusive request blocks
 * every later reader). Safe pattern: `SET lock_timeout` so the DDL gives up quickly and is retried
 * (the queue drains meanwhile); `rehearse run --lock-timeout 200ms --retries 20` measures the effect.
 * When this run used --lock-timeout, its failed attempts are the evidence. Mechanical: --suggest
 * prefixes the lock_timeout and rehearses the suggestion with retries.
 */
export const ddlWaitedInLockQueue: Rule = {
  id: 'ddl-waited-in-lock-queue',
  check({ statements, report }) {
    const out: Finding[] = [];
    for (const { m, s } of statements) {
      const waited = s.lockWaitMs ?? 0;
      if (waited < 100 || s.error) continue;
      const queued = report.blocking.filter(
        (b) => b.migrationId === m.id && b.statementIndex === s.index && b.migrationRole === 'queued' && b.app !== 'migration',
      );
      if (queued.length === 0) continue;
      const root = queued[0]!.rootBlocker;
      const longest = Math.max(...queued.map((b) => b.waitMs));
      const tries = s.failedAttempts?.length ?? 0;
      out.push({
        rule: 'ddl-waited-in-lock-queue',
        severity: longest >= 1000 ? 'error' : 'warning',
        ...findingLocation(m, s),
        title: `waited ${ms(waited)} for its lock behind ${root}; ${queued.length} app quer${queued.length === 1 ? 'y' : 'ies'} queued behind it (longest ${ms(longest)})`,
        evidence: { waitedMs: waited, rootBlocker: root, queuedWaits: queued.length, longestQueuedMs: longest, failedAttempts: tries },
        advice:
          `Set a lock_timeout (e.g. ${SUGGESTED_LOCK_TIMEOUT}) before the DDL and retry it when it times out: it then gives up instead of holding the queue, the apps' queries go on, and a retry gets the lock once the long transaction ends. ` +
          (tries
            ? `This run did: ${tries} attempt(s) timed out before it got the lock.`
            : `Rehearse it: rehearse run … --lock-timeout ${SUGGESTED_LOCK_TIMEOUT} --retries 20.`),
        suggestedSql: `SET lock_timeout = '${SUGGESTED_LOCK_TIMEOUT}';\n${s.sql.replace(/;\s*$/, '')}`,
        mechanical: true,
      });
    }
    return out;
  },
};
