import type { LockTaken } from '../../replay/index.ts';

import { LOCK_MODES, type LockMode } from '../../core/names.ts';

export { LOCK_MODES };

export const lockStrength = (mode: string): number => LOCK_MODES.indexOf(mode as LockMode);

/** What each mode blocks in an application's terms (same docs table, the conflicts column). */
export const LOCK_BLOCKS: Record<LockMode, string> = {
  AccessShareLock: 'only ACCESS EXCLUSIVE',
  RowShareLock: 'EXCLUSIVE and stronger',
  RowExclusiveLock: 'SHARE and stronger',
  ShareUpdateExclusiveLock: 'schema changes, VACUUM, other SHARE UPDATE EXCLUSIVE; not reads or writes',
  ShareLock: 'writes (INSERT/UPDATE/DELETE)',
  ShareRowExclusiveLock: 'writes',
  ExclusiveLock: 'writes and SELECT ... FOR UPDATE; not plain reads',
  AccessExclusiveLock: 'everything, reads included',
};

/** Kinds of relation an application reads and writes: tables, partitioned tables, matviews. */
const TABLE_KINDS = new Set(['r', 'p', 'm', 'f']);

/** The strongest mode per table (indexes and sequences left out), strongest first. */
export function strongestLocks(locks: LockTaken[]): { relation: string; mode: string }[] {
  const best = new Map<string, string>();
  for (const l of locks) {
    if (l.relkind !== null && !TABLE_KINDS.has(l.relkind)) continue;
    const cur = best.get(l.relation);
    if (cur === undefined || lockStrength(l.mode) > lockStrength(cur)) best.set(l.relation, l.mode);
  }
  return [...best.entries()]
    .map(([relation, mode]) => ({ relation, mode }))
    .sort((a, b) => lockStrength(b.mode) - lockStrength(a.mode) || a.relation.localeCompare(b.relation));
}

/** A mode that makes application reads or writes wait: ShareLock and stronger. */
export const blocksApps = (mode: string): boolean => lockStrength(mode) >= lockStrength('ShareLock');

export const lockEffect = (mode: string): string => LOCK_BLOCKS[mode as keyof typeof LOCK_BLOCKS] ?? '';
