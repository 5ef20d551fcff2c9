import fs from 'node:fs/promises';
import os from 'node:os';

/** The content of a lock file: who holds it. */
export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * Take the lock file `file` (created exclusively, holding our pid), or return who holds it. A lock
 * left by a process of this host that no longer runs (killed) is taken over.
 */
export async function tryLock(file: string): Promise<Lock | { heldBy: LockOwner }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
    try {
      await fs.writeFile(file, JSON.stringify(me), { flag: 'wx', mode: 0o644 });
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await fs.rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(file);
    if (owner && alive(owner)) return { heldBy: owner };
    // stale (its process is gone) or unreadable (a writer died between create and write)
    await fs.rm(file, { force: true });
  }
  const owner = await readOwner(file);
  return { heldBy: owner ?? { pid: 0, host: '?', since: '?' } };
}

export async function readOwner(file: string): Promise<LockOwner | null> {
  try {
    const o = JSON.parse(await fs.readFile(file, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' ? o : null;
  } catch {
    return null;
  }
}

/** Whether the owner still runs; one of another host is assumed to. */
export function alive(owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  return pidAlive(owner.pid);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
