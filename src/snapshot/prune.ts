import type { CacheEntry } from './types.ts';

export interface PruneRule {
  /** keep the complete snapshots within this total, dropping the least recently used first */
  maxBytes?: number;
  /** drop snapshots not used for this long */
  olderThanMs?: number;
}

/**
 * Which entries `rehearse cache prune` removes: unfinished writes whose writer is gone (always),
 * snapshots unused for longer than olderThanMs, then the least recently used until the rest fit
 * in maxBytes. Pure: `writerGone` says whether an unfinished write's process is gone.
 */
export function choosePrune(entries: CacheEntry[], rule: PruneRule, now: number, writerGone: (e: CacheEntry) => boolean): CacheEntry[] {
  const drop = new Set<CacheEntry>();
  for (const e of entries) if (e.incomplete && writerGone(e)) drop.add(e);
  const lastUse = (e: CacheEntry) => Date.parse(e.usedAt ?? e.createdAt ?? '') || 0;
  const complete = entries.filter((e) => !e.incomplete).sort((a, b) => lastUse(a) - lastUse(b));
  if (rule.olderThanMs !== undefined) {
    for (const e of complete) if (now - lastUse(e) > rule.olderThanMs) drop.add(e);
  }
  if (rule.maxBytes !== undefined) {
    let total = complete.filter((e) => !drop.has(e)).reduce((n, e) => n + e.bytes, 0);
    for (const e of complete) {
      if (total <= rule.maxBytes) break;
      if (drop.has(e)) continue;
      drop.add(e);
      total -= e.bytes;
    }
  }
  return entries.filter((e) => drop.has(e));
}

/** '7d', '12h', '90m', '2w' → milliseconds; null when unreadable. */
export function parseAge(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$/i.exec(text);
  if (!m) return null;
  const unit = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]!.toLowerCase() as 'm']!;
  return Math.round(Number(m[1]) * unit);
}
