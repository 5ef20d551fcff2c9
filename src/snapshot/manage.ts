import { usageError } from '../core/errors.ts';
import { dataDirStore, defaultCacheDir, describeSource, listDataDirs, removeDataDir } from './datadir.ts';
import { pidAlive } from './lock.ts';
import { choosePrune, type PruneRule } from './prune.ts';
import { dropTemplate, listTemplateEntries } from './template.ts';
import type { CacheEntry } from './types.ts';

/** Where `rehearse cache` looks: the cache folder, and the server of --database-url when given. */
export interface CacheScope {
  dir?: string;
  databaseUrl?: string;
}

/** Every snapshot (and unfinished write) in the scope, most recently used first. */
export async function cacheList(scope: CacheScope): Promise<CacheEntry[]> {
  const local = await listDataDirs(scope.dir ?? defaultCacheDir());
  const remote = scope.databaseUrl ? await listTemplateEntries(scope.databaseUrl, describeSource) : [];
  const when = (e: CacheEntry) => Date.parse(e.usedAt ?? e.createdAt ?? '') || 0;
  return [...local, ...remote].sort((a, b) => when(b) - when(a));
}

/** Remove the snapshot(s) of a key (a unique prefix of it is enough); returns what was removed. */
export async function cacheRemove(scope: CacheScope, key: string): Promise<CacheEntry[]> {
  const all = await cacheList(scope);
  const matching = all.filter((e) => e.key.startsWith(key) && !e.incomplete);
  const keys = new Set(matching.map((e) => e.key));
  if (keys.size === 0) throw usageError(`no snapshot ${key}`, `rehearse cache ls${scope.databaseUrl ? ' --database-url …' : ''} lists them`);
  if (keys.size > 1) throw usageError(`"${key}" matches several snapshots: ${[...keys].join(', ')}`, 'give more of the key');
  for (const e of matching) await removeEntry(scope, e);
  return matching;
}

/** Remove unfinished writes left by killed runs, then what the rule says; returns what was removed. */
export async function cachePrune(scope: CacheScope, rule: PruneRule, now = Date.now()): Promise<CacheEntry[]> {
  const all = await cacheList(scope);
  // an unfinished template's writer is checked by its advisory lock when dropping
  const gone = (e: CacheEntry) => (e.provider === 'url' ? true : e.writerPid === undefined || !pidAlive(e.writerPid));
  const removed: CacheEntry[] = [];
  for (const e of choosePrune(all, rule, now, gone)) {
    if (await removeEntry(scope, e)) removed.push(e);
  }
  return removed;
}

async function removeEntry(scope: CacheScope, e: CacheEntry): Promise<boolean> {
  if (e.provider === 'url') return dropTemplate(scope.databaseUrl!, e);
  await removeDataDir(scope.dir ?? defaultCacheDir(), e);
  return true;
}

export { dataDirStore };
