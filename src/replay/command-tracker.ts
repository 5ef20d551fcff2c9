import type { LockTaken, StatementTrace } from './types.ts';
import type { Classified } from './command-classify.ts';
import { walBytes } from './snapshot.ts';
import { round } from '../core/numbers.ts';

/**
 * Turns polls of pg_stat_activity + pg_locks (the backends of a migration command) into statement
 * traces, one poll at a time. Pure: the capture loop (command-capture.ts) does the I/O.
 *
 * - A statement is one query a backend ran: its text, `query_start` → the moment the backend went
 *   idle (`state_change`) or started its next query. A query that started and ended between two
 *   polls is still seen when the backend is idle at the next poll (pg_stat_activity keeps the last
 *   query); only one followed by another query before the next poll is missed.
 * - A relation lock (granted, on a user relation) belongs to the statement that was running when the
 *   lock was first seen; if that is the tool's bookkeeping (its tracking table, COMMIT), to the
 *   migration statement before it in the same transaction, or else the bookkeeping statement counts
 *   as a migration statement after all. A lock is held until the last poll that saw it, or, when the
 *   backend went idle outside a transaction since, until that moment (its COMMIT ended).
 * - lockHeldMs is, as in the replay, from the statement's start until its last lock was released.
 */

/** One backend of the command in one poll; times are epoch ms on the tool's clock. */
export interface PolledBackend {
  pid: number;
  state: string | null;
  query: string;
  queryStart: number | null;
  stateChange: number | null;
  xactStart: number | null;
  locks: PolledLock[];
}

export interface PolledLock {
  oid: string;
  mode: string;
  /** regclass text; null when the relation is not visible (created in an open transaction) */
  name: string | null;
  relkind: string | null;
}

export interface Poll {
  /** when the poll was read, epoch ms on the tool's clock */
  t: number;
  /** pg_current_wal_insert_lsn() at the poll */
  lsn: string;
  backends: PolledBackend[];
}

interface HeldLock {
  oid: string;
  lock: LockTaken;
  firstSeen: number;
  lastSeen: number;
  releasedAt: number | null;
}

interface Captured {
  pid: number;
  queryStart: number;
  sql: string;
  classified: Classified;
  /** index among the migration statements, in the order they were first seen; null for bookkeeping */
  index: number | null;
  xactStart: number | null;
  endedAt: number | null;
  lastSeen: number;
  lsnBefore: string;
  lsnAfter: string | null;
  aborted: boolean;
  locks: HeldLock[];
  /** oids it held an AccessExclusiveLock on while it was the backend's current query */
  exclusive: Set<string>;
}

interface BackendState {
  pid: number;
  current: Captured | null;
  /** locks held now (not yet seen released), key oid:mode */
  locks: Map<string, HeldLock>;
  statements: Captured[];
  lastSeen: number;
  gone: boolean;
  /** locks (oid:mode) seen once beside an idle row showing bookkeeping, not yet recorded */
  deferred: Set<string>;
}

export interface TrackerOptions {
  classify: (sql: string) => Classified;
  /** called when a migration statement is first seen, with its index (traffic phases) */
  onStatement?: (index: number) => void;
  /** WAL position before the command started (the first statements' WAL is counted from it) */
  startLsn?: string;
  /** a relation the tool's bookkeeping uses (its tracking table and sequence) */
  isBookkeepingRelation?: (name: string) => boolean;
}

/** A statement as captured, before rewrites are attached. */
export interface CapturedStatement {
  trace: StatementTrace;
  pid: number;
  /** it failed: its backend was seen 'idle in transaction (aborted)' right after it */
  aborted: boolean;
  /** oids it held an AccessExclusiveLock on while it ran */
  exclusive: Set<string>;
}

const IDLE = new Set(['idle', 'idle in transaction', 'idle in transaction (aborted)']);

export class CommandTracker {
  private readonly backends = new Map<number, BackendState>();
  private next = 0;
  private prevT: number | null = null;
  private prevLsn: string | null = null;
  private lastLsn = '0/0';
  private samples = 0;
  private sumGap = 0;
  private maxGap = 0;

  constructor(private readonly options: TrackerOptions) {
    this.prevLsn = options.startLsn ?? null;
    this.lastLsn = options.startLsn ?? '0/0';
  }

  /** pids of the command's backends seen so far */
  pids(): number[] {
    return [...this.backends.keys()];
  }

  add(poll: Poll): void {
    const { t } = poll;
    this.samples += 1;
    if (this.prevT !== null) {
      this.sumGap += t - this.prevT;
      this.maxGap = Math.max(this.maxGap, t - this.prevT);
    }
    const seen = new Set<number>();
    for (const row of poll.backends) {
      seen.add(row.pid);
      let b = this.backends.get(row.pid);
      if (!b) {
        b = { pid: row.pid, current: null, locks: new Map(), statements: [], lastSeen: t, gone: false, deferred: new Set() };
        this.backends.set(row.pid, b);
      }
      b.lastSeen = t;
      b.gone = false;
      this.statementOf(b, row, poll);
      this.locksOf(b, row, t);
    }
    for (const b of this.backends.values()) if (!seen.has(b.pid) && !b.gone) this.disconnected(b);
    this.prevT = t;
    this.prevLsn = poll.lsn;
    this.lastLsn = poll.lsn;
  }

  private statementOf(b: BackendState, row: PolledBackend, poll: Poll): void {
    const { t } = poll;
    if (row.queryStart !== null && row.query.trim() !== '' && b.current?.queryStart !== row.queryStart) {
      const before = b.current;
      if (before && before.endedAt === null) {
        // it ended before the next query started
        before.endedAt = Math.max(before.queryStart, Math.min(row.queryStart, t));
        before.lsnAfter = poll.lsn;
      }
      const classified = this.options.classify(row.query);
      const s: Captured = {
        pid: row.pid,
        queryStart: row.queryStart,
        sql: row.query,
        classified,
        index: null,
        xactStart: row.xactStart,
        endedAt: null,
        lastSeen: t,
        lsnBefore: this.prevLsn ?? poll.lsn,
        lsnAfter: null,
        aborted: false,
        locks: [],
        exclusive: new Set(),
      };
      b.statements.push(s);
      b.current = s;
      if (!classified.bookkeeping) this.keep(s);
    }
    const s = b.current;
    if (!s) return;
    s.lastSeen = t;
    if (row.state !== null && IDLE.has(row.state) && s.endedAt === null) {
      s.endedAt = Math.max(s.queryStart, Math.min(row.stateChange ?? t, t));
      s.lsnAfter = poll.lsn;
      s.aborted = row.state === 'idle in transaction (aborted)';
    }
  }

  private keep(s: Captured): void {
    if (s.index !== null) return;
    s.index = this.next++;
    this.options.onStatement?.(s.index);
  }

  private locksOf(b: BackendState, row: PolledBackend, t: number): void {
    const present = new Set<string>();
    for (const l of row.locks) {
      const key = `${l.oid}:${l.mode}`;
      present.add(key);
      const held = b.locks.get(key);
      if (held) {
        held.lastSeen = t;
        if (l.name !== null && held.lock.relation.startsWith('oid ')) held.lock = { relation: l.name, mode: l.mode, relkind: l.relkind };
      } else if (this.stale(b, row, l, key)) {
        continue;
      } else {
        const owner = this.ownerOf(b, row, l);
        const fresh: HeldLock = {
          oid: l.oid,
          // an unresolved relation keeps its oid; resolveLockNames() names it (or drops it) later
          lock: { relation: l.name ?? `oid ${l.oid}`, mode: l.mode, relkind: l.relkind },
          firstSeen: t,
          lastSeen: t,
          releasedAt: null,
        };
        b.locks.set(key, fresh);
        owner?.locks.push(fresh);
      }
      if (l.mode === 'AccessExclusiveLock' && b.current) b.current.exclusive.add(l.oid);
    }
    for (const key of b.deferred) if (!present.has(key)) b.deferred.delete(key);
    for (const [key, held] of b.locks) {
      if (present.has(key)) continue;
      // released since the last poll; idle outside a transaction since then: its end released it
      const committed = row.state === 'idle' && row.stateChange !== null && row.stateChange >= held.lastSeen && row.stateChange <= t;
      held.releasedAt = committed ? row.stateChange! : held.lastSeen;
      b.locks.delete(key);
    }
  }

  /**
   * A poll's pg_stat_activity is a snapshot taken at its first read, pg_locks is read when scanned,
   * so a lock can be newer than the activity row beside it: the backend shown idle after its
   * bookkeeping (BEGIN, a read of its tracking table) while its next statement already holds the
   * lock. When that lock would otherwise make the bookkeeping a migration statement (no migration
   * statement before it in its transaction), it is left for the next poll, which shows the statement
   * that took it; seen there again beside the same row, it is recorded as usual.
   */
  private stale(b: BackendState, row: PolledBackend, lock: PolledLock, key: string): boolean {
    const s = b.current;
    const suspect =
      s !== null &&
      s.index === null &&
      row.state !== null &&
      IDLE.has(row.state) &&
      !(lock.name !== null && this.options.isBookkeepingRelation?.(lock.name)) &&
      this.sameTx(b, row) === undefined;
    if (!suspect || b.deferred.has(key)) {
      b.deferred.delete(key);
      return false;
    }
    b.deferred.add(key);
    return true;
  }

  /** The migration statement a newly seen lock belongs to (see the class comment). */
  private ownerOf(b: BackendState, row: PolledBackend, lock: PolledLock): Captured | null {
    const s = b.current;
    if (!s) return null;
    if (s.index !== null) return s;
    // the tool's bookkeeping locks its own tracking table: that stays with the bookkeeping
    if (lock.name !== null && this.options.isBookkeepingRelation?.(lock.name)) return s;
    const sameTx = this.sameTx(b, row);
    if (sameTx) return sameTx;
    this.keep(s);
    return s;
  }

  /** The last migration statement of the row's transaction, if any. */
  private sameTx(b: BackendState, row: PolledBackend): Captured | undefined {
    return [...b.statements].reverse().find((x) => x.index !== null && x.xactStart !== null && x.xactStart === row.xactStart);
  }

  private disconnected(b: BackendState): void {
    b.gone = true;
    const s = b.current;
    if (s && s.endedAt === null) {
      s.endedAt = Math.max(s.queryStart, s.lastSeen);
      s.lsnAfter = this.lastLsn;
    }
    for (const held of b.locks.values()) held.releasedAt = held.lastSeen;
    b.locks.clear();
  }

  /** Close what is still open (the command ended) and return the migration statements, in order. */
  finish(): {
    statements: CapturedStatement[];
    bookkeeping: string[];
    stats: { samples: number; meanIntervalMs: number | null; maxIntervalMs: number | null };
  } {
    for (const b of this.backends.values()) if (!b.gone) this.disconnected(b);
    const all = [...this.backends.values()].flatMap((b) => b.statements);
    const kept = all.filter((s) => s.index !== null).sort((a, b) => a.index! - b.index!);
    const bookkeeping = all
      .filter((s) => s.index === null)
      .sort((a, b) => a.queryStart - b.queryStart)
      .map((s) => firstLine(s.sql));
    return {
      statements: kept.map((s) => ({ trace: this.traceOf(s), pid: s.pid, aborted: s.aborted, exclusive: s.exclusive })),
      bookkeeping,
      stats: {
        samples: this.samples,
        meanIntervalMs: this.samples > 1 ? round(this.sumGap / (this.samples - 1)) : null,
        maxIntervalMs: this.samples > 1 ? round(this.maxGap) : null,
      },
    };
  }

  private traceOf(s: Captured): StatementTrace {
    const endedAt = s.endedAt ?? s.lastSeen;
    const locks = s.locks.map((l) => l.lock);
    const released = Math.max(...s.locks.map((l) => l.releasedAt ?? l.lastSeen), -Infinity);
    return {
      index: s.index!,
      sql: s.sql.trim(),
      file: '',
      line: 0,
      kind: s.classified.kinds.join('; '),
      inTransaction: s.xactStart !== null && s.xactStart < s.queryStart,
      startedAt: s.queryStart,
      endedAt,
      durationMs: round(Math.max(0, endedAt - s.queryStart)),
      locks,
      lockSource: 'sampled',
      lockHeldMs: locks.length > 0 ? round(Math.max(0, released - s.queryStart, endedAt - s.queryStart)) : 0,
      rewrites: [],
      walBytes: Math.max(0, walBytes(s.lsnBefore, s.lsnAfter ?? this.lastLsn)),
      rowsAffected: null,
    };
  }
}

/** One lock per relation name and mode (a rebuilt index is a new relation with the old name). */
export function dedupeLocks(locks: LockTaken[]): LockTaken[] {
  const seen = new Map<string, LockTaken>();
  for (const l of locks) if (!seen.has(`${l.relation}:${l.mode}`)) seen.set(`${l.relation}:${l.mode}`, l);
  return [...seen.values()];
}

function firstLine(sql: string): string {
  const line = sql.trim().split('\n')[0]!.trim();
  return line.length > 100 ? line.slice(0, 99) + '…' : line;
}
