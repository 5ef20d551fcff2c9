import { parseApplicationName } from './names.ts';
import type { ActivityRow, ActivitySample, Backend, BlockingInterval } from './types.ts';
import { round } from '../core/numbers.ts';

/** A wait still going on: what becomes its interval, plus where the tracker is with it. */
type OpenWait = Pick<
  BlockingInterval,
  'blocked' | 'directBlocker' | 'rootBlocker' | 'relation' | 'mode' | 'locktype' | 'waitEventType' | 'waitEvent' | 'startedAt' | 'samples' | 'queryStart'
> & {
  key: string;
  pid: number;
  lastSeen: number;
};

/**
 * Turns samples of pg_stat_activity into blocking intervals, one sample at a time (only the open
 * waits are kept between samples). A backend's wait is one interval while it runs the same query
 * and has the same root blocker; it ends when the backend stops waiting or the root changes.
 *
 * Precision: a wait is seen first at sample k. When its query started after sample k-1, the query's
 * start is when it began waiting (locks are taken as a statement starts); otherwise it began
 * between the two samples and the midpoint is used. The end likewise: the next query's start or
 * the moment the backend went idle, when the sample after the wait shows one, else the midpoint.
 */
export class BlockingTracker {
  private prevT: number | null = null;
  private readonly open = new Map<number, OpenWait>();
  private readonly closed: BlockingInterval[] = [];

  /** The pids waiting at the last sample: include them in the next one, so their end can be refined. */
  waitingPids(): number[] {
    return [...this.open.keys()];
  }

  add(sample: ActivitySample): void {
    const { t } = sample;
    const rows = new Map(sample.rows.map((r) => [r.pid, r]));
    const waits = new Map<number, { row: ActivityRow; key: string; direct: number; root: number }>();
    for (const row of sample.rows) {
      if (!isWaiting(row)) continue;
      const direct = row.blockers![0]!;
      const root = rootBlocker(row, rows);
      waits.set(row.pid, { row, key: `${row.queryStart}:${root}`, direct, root });
    }

    const endedNow = new Map<number, { end: number; queryStart: number | null }>();
    for (const [pid, w] of this.open) {
      const seen = waits.get(pid);
      if (seen && seen.key === w.key) {
        w.lastSeen = t;
        w.samples += 1;
        if (w.relation === null && seen.row.relation !== null) {
          w.relation = seen.row.relation;
          w.mode = seen.row.mode;
          w.locktype = seen.row.locktype;
        }
        continue;
      }
      const end = refineEnd(w, rows.get(pid), t);
      this.close(w, end, false);
      this.open.delete(pid);
      endedNow.set(pid, { end, queryStart: w.queryStart });
    }

    for (const [pid, { row, key, direct, root }] of waits) {
      if (this.open.has(pid)) continue;
      const previous = endedNow.get(pid);
      const startedAt = previous && previous.queryStart === row.queryStart ? previous.end : refineStart(row.queryStart, this.prevT, t);
      this.open.set(pid, {
        key,
        pid,
        queryStart: row.queryStart,
        blocked: backendOf(pid, rows),
        directBlocker: backendOf(direct, rows),
        rootBlocker: backendOf(root, rows),
        relation: row.relation,
        mode: row.mode,
        locktype: row.locktype,
        waitEventType: row.waitEventType,
        waitEvent: row.waitEvent,
        startedAt,
        lastSeen: t,
        samples: 1,
      });
    }
    this.prevT = t;
  }

  /** Every interval, in the order they ended; waits still open end at the last sample (ongoing). */
  finish(): BlockingInterval[] {
    for (const w of this.open.values()) this.close(w, w.lastSeen, true);
    this.open.clear();
    return this.closed.slice().sort((a, b) => a.startedAt - b.startedAt);
  }

  private close(w: OpenWait, endedAt: number, ongoing: boolean) {
    const end = Math.max(endedAt, w.startedAt);
    this.closed.push({
      blocked: w.blocked,
      directBlocker: w.directBlocker,
      rootBlocker: w.rootBlocker,
      relation: w.relation,
      mode: w.mode,
      locktype: w.locktype,
      waitEventType: w.waitEventType,
      waitEvent: w.waitEvent,
      startedAt: round(w.startedAt),
      endedAt: round(end),
      durationMs: round(end - w.startedAt),
      samples: w.samples,
      ongoing,
      queryStart: w.queryStart,
    });
  }
}

/** Waiting for a heavyweight lock that someone holds or is queued for ahead of it. */
export const isWaiting = (row: ActivityRow) => row.waitEventType === 'Lock' && (row.blockers?.length ?? 0) > 0;

/**
 * Follow pg_blocking_pids() from a waiting backend to the backends that are not themselves waiting
 * (breadth first). Among several roots the migration wins, else the first found. In a cycle
 * (a deadlock about to be broken) the direct blocker is the root.
 */
export function rootBlocker(row: ActivityRow, rows: Map<number, ActivityRow>): number {
  const seen = new Set([row.pid]);
  const queue = [...row.blockers!];
  const roots: number[] = [];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const r = rows.get(pid);
    if (r && isWaiting(r)) queue.push(...r.blockers!);
    else roots.push(pid);
  }
  const migration = roots.find((pid) => parseApplicationName(rows.get(pid)?.applicationName ?? '').kind === 'migration');
  return migration ?? roots[0] ?? row.blockers![0]!;
}

function backendOf(pid: number, rows: Map<number, ActivityRow>): Backend {
  const row = rows.get(pid);
  const applicationName = row?.applicationName ?? '';
  const { kind, app, query } = parseApplicationName(applicationName);
  return { pid, applicationName, backendType: row?.backendType ?? null, kind, app, query };
}

function refineStart(queryStart: number | null, prevT: number | null, t: number): number {
  if (queryStart !== null && (prevT === null || queryStart > prevT)) return Math.min(queryStart, t);
  return prevT === null ? t : (prevT + t) / 2;
}

function refineEnd(w: OpenWait, row: ActivityRow | undefined, t: number): number {
  const lo = w.lastSeen;
  const clamp = (x: number) => Math.min(t, Math.max(lo, x));
  if (row) {
    if (row.queryStart !== null && row.queryStart !== w.queryStart) return clamp(row.queryStart);
    if (row.state !== 'active' && row.stateChange !== null) return clamp(row.stateChange);
  }
  return (lo + t) / 2;
}
