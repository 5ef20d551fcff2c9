import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { onExitCleanup } from '../core/cleanup.ts';
import type { Logger } from '../core/log.ts';
import { tryLock } from './lock.ts';
import type { SnapshotMeta } from './types.ts';

/**
 * A snapshot folder of the cache is written as <cache>/.writing-<key>-<pid>-<random>/ and renamed
 * to <cache>/<key> once complete, under the lock file <cache>/.lock-<key> (holding the writer's
 * pid). Only a folder named exactly <key> with a meta.json is ever used: a run killed while writing
 * leaves a .writing-* folder that no run uses and `rehearse cache prune` removes.
 */
export const WRITING_PREFIX = '.writing-';
export const LOCK_PREFIX = '.lock-';

/**
 * Write the snapshot of `key` aside and rename it into place: `write` fills the temp folder and
 * returns the meta (written last, as meta.json), or null to save none. Null too when another run
 * holds the key's lock; the existing snapshot when one appeared meanwhile. A signal removes the
 * temp folder and releases the lock.
 */
export async function writeAside(
  root: string,
  key: string,
  log: Logger,
  existing: () => Promise<SnapshotMeta | null>,
  write: (tmp: string) => Promise<SnapshotMeta | null>,
): Promise<SnapshotMeta | null> {
  await fs.mkdir(root, { recursive: true });
  const lock = await tryLock(path.join(root, LOCK_PREFIX + key));
  if ('heldBy' in lock) {
    log.info(`snapshot ${key} is being saved by another run (pid ${lock.heldBy.pid}); this run saves none`);
    return null;
  }
  const tmp = path.join(root, `${WRITING_PREFIX}${key}-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  const removeTmp = () => fs.rm(tmp, { recursive: true, force: true });
  const unregister = onExitCleanup(async () => {
    await removeTmp();
    await lock.release();
  });
  try {
    const saved = await existing();
    if (saved) return saved; // another run saved it while we loaded
    await fs.mkdir(tmp);
    const meta = await write(tmp);
    if (!meta) return null;
    await fs.writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    await fs.rename(tmp, path.join(root, key));
    return meta;
  } finally {
    unregister();
    await removeTmp();
    await lock.release();
  }
}
