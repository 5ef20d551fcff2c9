import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, type Instance, type ProvisionOptions } from '../provision/index.ts';
import type { Logger } from '../core/log.ts';
import { LOCK_PREFIX, WRITING_PREFIX, writeAside } from './aside.ts';
import { copyTree, formatBytes, roomFor, treeBytes } from './disk.ts';
import { pidAlive, readOwner } from './lock.ts';
import type { CacheEntry, SnapshotMeta, SnapshotStore } from './types.ts';

/**
 * The embedded provider's snapshots: the stopped, checkpointed data directory, copied into
 *   <cache>/<key>/data        the cluster
 *   <cache>/<key>/meta.json   SnapshotMeta
 *   <cache>/<key>/password    the postgres role's password (0600; the clone keeps the cluster's)
 * written aside and renamed when complete (aside.ts). The container provider's snapshots share the
 * folder (archive.ts); `rehearse cache` lists and removes both.
 */
export { LOCK_PREFIX, WRITING_PREFIX };

export function defaultCacheDir(): string {
  return path.join(cacheDir(), 'snapshots');
}

export function dataDirStore(root: string): SnapshotStore {
  const folder = (key: string) => path.join(root, key);
  return {
    find: (key) => findInFolder(folder(key), () => true, path.join('data', 'PG_VERSION')),

    async cloneOptions(meta, options): Promise<ProvisionOptions> {
      const dir = folder(meta.key);
      const password = await readSnapshotPassword(dir);
      return {
        ...options,
        fromDataDir: {
          password,
          fill: async (target) => {
            const problem = await roomFor(path.dirname(target), meta.bytes);
            if (problem) throw new Error(`no room for the clone: ${problem}`);
            await copyTree(path.join(dir, 'data'), target);
          },
        },
      };
    },

    async save(instance: Instance, partial, log: Logger) {
      const whileStopped = instance.whileStopped?.bind(instance);
      if (!whileStopped || instance.provider !== 'embedded') return null;
      return writeAside(
        root,
        partial.key,
        log,
        () => this.find(partial.key),
        (tmp) =>
          whileStopped(async (dataDir, password) => {
            const bytes = await treeBytes(dataDir);
            const problem = await roomFor(root, bytes);
            if (problem) {
              log.warn(`snapshot not saved: ${problem}`);
              return null;
            }
            await copyTree(dataDir, path.join(tmp, 'data'));
            await fs.writeFile(path.join(tmp, 'password'), password, { mode: 0o600 });
            return { ...partial, bytes, createdAt: new Date().toISOString() };
          }),
      );
    },

    async touch(key) {
      const now = new Date();
      await fs.utimes(path.join(folder(key), 'meta.json'), now, now).catch(() => undefined);
    },
  };
}

/**
 * The snapshot in a cache folder, if complete: its meta.json, accepted by `accepts`, and the file
 * (relative path) that a finished save writes.
 */
export async function findInFolder(dir: string, accepts: (meta: SnapshotMeta) => boolean, file: string): Promise<SnapshotMeta | null> {
  const meta = await readMeta(dir);
  if (!meta || !accepts(meta)) return null;
  const ok = await fs.access(path.join(dir, file)).then(
    () => true,
    () => false,
  );
  return ok ? meta : null;
}

/** The server password kept beside a snapshot (a clone starts with the snapshot's roles). */
export const readSnapshotPassword = async (dir: string): Promise<string> => (await fs.readFile(path.join(dir, 'password'), 'utf8')).trim();

export async function readMeta(dir: string): Promise<SnapshotMeta | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'meta.json'), 'utf8')) as SnapshotMeta;
  } catch {
    return null;
  }
}

/** Every snapshot folder of the cache, complete or not. */
export async function listDataDirs(root: string): Promise<CacheEntry[]> {
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  const out: CacheEntry[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = path.join(root, e.name);
    if (e.name.startsWith(WRITING_PREFIX)) {
      const [key, pid] = e.name.slice(WRITING_PREFIX.length).split('-');
      const st = await fs.stat(dir);
      out.push({
        key: key ?? '?',
        provider: 'embedded',
        source: '(being written, or left by a killed run)',
        bytes: await treeBytes(dir).catch(() => 0),
        createdAt: st.mtime.toISOString(),
        usedAt: null,
        location: dir,
        incomplete: true,
        writerPid: Number(pid),
      });
      continue;
    }
    const meta = await readMeta(dir);
    const used = await fs.stat(path.join(dir, 'meta.json')).catch(() => null);
    out.push({
      key: e.name,
      provider: meta?.provider ?? 'embedded',
      source: meta ? describeSource(meta) : '?',
      bytes: meta?.bytes ?? (await treeBytes(dir).catch(() => 0)),
      createdAt: meta?.createdAt ?? null,
      usedAt: used?.mtime.toISOString() ?? null,
      location: dir,
      incomplete: !meta,
    });
  }
  return out;
}

/** Remove one snapshot folder (complete, or an unfinished write whose writer is gone). */
export async function removeDataDir(root: string, entry: CacheEntry): Promise<void> {
  await fs.rm(entry.location, { recursive: true, force: true });
  if (!entry.incomplete) {
    const lock = path.join(root, LOCK_PREFIX + entry.key);
    const owner = await readOwner(lock);
    if (owner && !pidAlive(owner.pid)) await fs.rm(lock, { force: true });
  }
}

export function describeSource(meta: SnapshotMeta): string {
  const s = meta.dataset.source;
  const what =
    s.kind === 'dump'
      ? s.path
      : s.kind === 'fixture'
        ? `fixture ${s.name} scale ${s.scale} seed ${s.seed}`
        : s.kind === 'synthesized'
          ? `synthesized from ${s.stats} at fraction ${s.fraction}`
          : 'none';
  return `${what} (PostgreSQL ${meta.pgMajor}${meta.parts.image ? `, ${meta.parts.image}` : ''})`;
}

export { formatBytes };
