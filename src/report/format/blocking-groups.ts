import type { BlockingEntry as BlockingRecord } from '../model/types.ts';

/**
 * Blocking, grouped so a report never says the same thing twice: one group per blocked query and
 * the migration statement involved (held the lock, queued ahead of it, or — for the migration's own
 * waits — the statement that waited), with how many executions waited, the longest and the total.
 * An execution (backend pid + its query's start) with several entries for the same statement (its
 * root blocker changed while it waited) counts once, its waits summed. A pure function of the report.
 */
export interface BlockingGroup {
  app: string;
  query: string;
  migrationId: string | null;
  statementIndex: number | null;
  migrationRole: BlockingRecord['migrationRole'];
  /** executions that waited */
  count: number;
  longestMs: number;
  totalMs: number;
  /** the longest execution's root blocker, relation and mode (what the group's line names) */
  rootBlocker: string;
  blockerKind: BlockingRecord['blockerKind'];
  relation: string | null;
  mode: string | null;
}

export function groupBlocking(entries: readonly BlockingRecord[]): BlockingGroup[] {
  const groups = new Map<string, { executions: Map<string, { ms: number; first: BlockingRecord }>; first: BlockingRecord }>();
  for (const b of entries) {
    const key = JSON.stringify([b.app, b.query, b.migrationId, b.statementIndex]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { executions: new Map(), first: b }));
    const exec = `${b.pid}:${b.queryStart ?? b.startedAt}`;
    const e = g.executions.get(exec);
    if (e) {
      e.ms += b.waitMs;
      if (b.waitMs > e.first.waitMs) e.first = b;
    } else g.executions.set(exec, { ms: b.waitMs, first: b });
  }
  const out: BlockingGroup[] = [];
  for (const g of groups.values()) {
    const execs = [...g.executions.values()];
    const longest = execs.reduce((w, e) => (e.ms > w.ms ? e : w));
    const b = longest.first;
    out.push({
      app: g.first.app,
      query: g.first.query,
      migrationId: g.first.migrationId,
      statementIndex: g.first.statementIndex,
      migrationRole: b.migrationRole,
      count: execs.length,
      longestMs: round(longest.ms),
      totalMs: round(execs.reduce((t, e) => t + e.ms, 0)),
      rootBlocker: b.rootBlocker,
      blockerKind: b.blockerKind,
      relation: b.relation,
      mode: b.mode,
    });
  }
  return out.sort((a, b) => b.longestMs - a.longestMs || b.totalMs - a.totalMs || a.app.localeCompare(b.app) || a.query.localeCompare(b.query));
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
