import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

export { treeBytes } from '../core/files.ts';

/** Free bytes and size of the filesystem holding `p` (or its nearest existing parent). */
export async function diskSpace(p: string): Promise<{ free: number; size: number }> {
  let dir = path.resolve(p);
  for (;;) {
    const s = await fs.statfs(dir).catch(() => null);
    if (s) return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no filesystem found for ${p}`);
    dir = parent;
  }
}

/** What must stay free after a snapshot is written: 5 % of the filesystem, at least 1 GiB. */
export function reserveBytes(size: number): number {
  return Math.max(1024 ** 3, Math.round(size * 0.05));
}

/** null when `need` bytes fit in `p` leaving the reserve free, else why not. */
export async function roomFor(p: string, need: number): Promise<string | null> {
  const { free, size } = await diskSpace(p);
  const reserve = reserveBytes(size);
  if (free - need >= reserve) return null;
  return `needs ${formatBytes(need)}, ${formatBytes(free)} free in ${p} (keeping ${formatBytes(reserve)} free)`;
}

/**
 * Copy a folder with everything kept (modes, owners as root, times): `cp --reflink=auto -a`, which
 * shares the blocks on filesystems that can (btrfs, XFS, APFS via clonefile) and copies elsewhere;
 * fs.cp with copy-on-write requested where cp lacks --reflink (macOS, BSD).
 */
export async function copyTree(from: string, to: string): Promise<void> {
  const gnu = await execa('cp', ['--reflink=auto', '-a', from, to], { reject: false });
  if (gnu.exitCode === 0) return;
  if (!/reflink|illegal option|unrecognized option/i.test(gnu.stderr)) {
    throw new Error(`cp ${from} ${to}: ${gnu.stderr.trim() || `exit ${gnu.exitCode}`}`);
  }
  await fs.cp(from, to, { recursive: true, preserveTimestamps: true, mode: fs.constants.COPYFILE_FICLONE } as Parameters<typeof fs.cp>[2]);
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** '20GB', '500 MB', '1.5G', '100000' (bytes) → bytes; null when unreadable. */
export function parseBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb|t|tb|kib|mib|gib|tib)?\s*$/i.exec(text);
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const pow = { b: 0, k: 1, kb: 1, m: 2, mb: 2, g: 3, gb: 3, t: 4, tb: 4, kib: 1, mib: 2, gib: 3, tib: 4 }[unit]!;
  const base = unit.includes('i') ? 1024 : 1000;
  return Math.round(Number(m[1]) * base ** pow);
}
