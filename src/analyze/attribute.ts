import type { MigrationTrace, StatementTrace } from '../replay/index.ts';
import { conflicts, type Backend, type BlockingInterval } from '../observe/index.ts';
import type { Attribution, BlockerKind, BlockingEntry, StatementBlocking } from './types.ts';
import { round } from '../core/numbers.ts';

/** Slack for comparing sampled times with the replay's statement times (sampling precision). */
const TOLERANCE_MS = 25;

interface Located {
  migrationId: string;
  statement: StatementTrace;
}

/**
 * Tie blocking intervals to migration statements and app queries (pure).
 *
 * When the root blocker is the migration's backend, the statement is the one in the migration's
 * open transaction whose lock made the query wait: among the statements holding a lock on the
 * waited relation during the wait (from their start to the end of their transaction, lockHeldMs),
 * the earliest whose mode conflicts with the one requested, else the earliest holding any lock on
 * it, else the statement running when the wait began. When the migration is the direct blocker
 * but not the root (it waits itself and the query is queued behind it), the entry names the
 * migration statement that was queued ahead ('queued'). When the migration is the one waiting,
 * the entry's app is 'migration' and it counts as that statement's own lock wait.
 */
export function attributeBlocking(intervals: BlockingInterval[], migrations: MigrationTrace[]): Attribution {
  const statements: Located[] = migrations.flatMap((m) => m.statements.map((statement) => ({ migrationId: m.id, statement })));
  const entries = intervals.map((iv) => entryOf(iv, statements)).sort((a, b) => a.startedAt - b.startedAt);
  return { entries, statements: perStatement(entries, statements) };
}

function entryOf(iv: BlockingInterval, statements: Located[]): BlockingEntry {
  const running = statementAt(statements, iv.startedAt);
  let involved: Located | null = null;
  let migrationRole: BlockingEntry['migrationRole'] = null;
  if (iv.blocked.kind === 'migration') {
    involved = running;
    migrationRole = 'waits';
  } else if (iv.rootBlocker.kind === 'migration') {
    involved = holderOf(iv, statements) ?? running;
    migrationRole = 'holds';
  } else if (iv.directBlocker.kind === 'migration') {
    involved = running;
    migrationRole = 'queued';
  }
  const name = (b: Backend, s: Located | null) => describe(b, b.kind === 'migration' ? s : null);
  return {
    app: blockedApp(iv.blocked),
    query: iv.blocked.kind === 'migration' ? (running ? ref(running) : '?') : (iv.blocked.query ?? ''),
    blockerKind: kindOf(iv.rootBlocker),
    migrationId: involved?.migrationId ?? null,
    statementIndex: involved?.statement.index ?? null,
    migrationRole: involved ? migrationRole : null,
    rootBlocker: name(iv.rootBlocker, migrationRole === 'holds' ? involved : running),
    directBlocker: name(iv.directBlocker, migrationRole === 'holds' && iv.directBlocker.pid === iv.rootBlocker.pid ? involved : running),
    waitMs: iv.durationMs,
    startedAt: iv.startedAt,
    endedAt: iv.endedAt,
    relation: iv.relation,
    mode: iv.mode,
    waitEvent: iv.waitEvent,
    pid: iv.blocked.pid,
    queryStart: iv.queryStart,
  };
}

const ref = (s: Located) => `${s.migrationId}#${s.statement.index}`;

const kindOf = (b: Backend): BlockerKind => (b.kind === 'migration' ? 'migration' : b.kind === 'app' ? 'app' : 'other');

function blockedApp(b: Backend): string {
  if (b.kind === 'migration') return 'migration';
  if (b.kind === 'app' && b.app) return b.app;
  if (b.kind === 'probe' && b.app) return `probe:${b.app}`;
  return b.applicationName || b.backendType || `pid ${b.pid}`;
}

function describe(b: Backend, s: Located | null): string {
  if (b.kind === 'migration') return s ? `migration ${ref(s)}` : 'migration';
  if (b.kind === 'app' || b.kind === 'probe') return `${b.kind === 'probe' ? 'probe:' : ''}${b.app}${b.query ? '/' + b.query : ''}`;
  return `${b.applicationName || b.backendType || 'backend'} (pid ${b.pid})`;
}

const heldUntil = (s: StatementTrace) => s.startedAt + Math.max(s.lockHeldMs, s.durationMs);

/** The migration statement whose lock the interval waited for (see attributeBlocking). */
function holderOf(iv: BlockingInterval, statements: Located[]): Located | null {
  if (iv.relation === null) return null;
  const holding = statements.filter(
    ({ statement: s }) =>
      s.startedAt <= iv.endedAt + TOLERANCE_MS && heldUntil(s) >= iv.startedAt - TOLERANCE_MS && s.locks.some((l) => l.relation === iv.relation),
  );
  const conflicting = holding.filter(({ statement: s }) => s.locks.some((l) => l.relation === iv.relation && (iv.mode === null || conflicts(l.mode, iv.mode))));
  const earliest = (list: Located[]) =>
    list.reduce<Located | null>((best, x) => (best === null || x.statement.startedAt < best.statement.startedAt ? x : best), null);
  return earliest(conflicting) ?? earliest(holding);
}

/** The statement running at t (closest when several are within the tolerance), else the last one
 *  started before t whose locks were still held, else null. */
function statementAt(statements: Located[], t: number): Located | null {
  let best: Located | null = null;
  let bestDistance = Infinity;
  for (const x of statements) {
    const s = x.statement;
    const distance = t < s.startedAt ? s.startedAt - t : t > s.endedAt ? t - s.endedAt : 0;
    if (distance <= TOLERANCE_MS && distance < bestDistance) {
      best = x;
      bestDistance = distance;
    }
  }
  if (best) return best;
  const holding = statements.filter(({ statement: s }) => s.startedAt <= t && heldUntil(s) >= t);
  return holding.at(-1) ?? null;
}

function perStatement(entries: BlockingEntry[], statements: Located[]): StatementBlocking[] {
  type Acc = StatementBlocking & { names: Set<string>; executions: Map<string, number> };
  const byRef = new Map<string, Acc>();
  for (const { migrationId, statement } of statements) {
    byRef.set(`${migrationId}#${statement.index}`, {
      migrationId,
      statementIndex: statement.index,
      blockedQueries: 0,
      maxBlockedMs: 0,
      totalBlockedMs: 0,
      queries: [],
      lockWaitMs: 0,
      names: new Set(),
      executions: new Map(),
    });
  }
  for (const e of entries) {
    if (e.migrationId === null || e.statementIndex === null) continue;
    const s = byRef.get(`${e.migrationId}#${e.statementIndex}`);
    if (!s) continue;
    if (e.migrationRole === 'waits') {
      s.lockWaitMs = round(s.lockWaitMs + e.waitMs);
      continue;
    }
    const execution = `${e.pid}:${e.queryStart ?? e.startedAt}`;
    s.executions.set(execution, (s.executions.get(execution) ?? 0) + e.waitMs);
    s.totalBlockedMs = round(s.totalBlockedMs + e.waitMs);
    s.names.add(`${e.app}/${e.query}`);
  }
  return [...byRef.values()].map(({ names, executions, ...s }) => ({
    ...s,
    blockedQueries: executions.size,
    maxBlockedMs: round(Math.max(0, ...executions.values())),
    queries: [...names],
  }));
}
