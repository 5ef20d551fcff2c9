import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Make `dir` exist and check a file can be written in it; null when fine, else the reason.
 * Folders are made one level at a time: Node's recursive mkdir loops forever where the kernel
 * answers ENOENT for a parent that exists (/proc/nope), which is how `--out /proc/nope` once hung.
 */
export async function ensureWritableDir(dir: string): Promise<string | null> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    const st = await fs.stat(existing).catch((err: NodeJS.ErrnoException) => err);
    if (!(st instanceof Error)) {
      if (!st.isDirectory()) return `${existing} is not a folder`;
      break;
    }
    if (st.code !== 'ENOENT') return `${existing}: ${reason(st)}`;
    const parent = path.dirname(existing);
    if (parent === existing) return `${existing}: ${reason(st)}`;
    missing.unshift(existing);
    existing = parent;
  }
  for (const d of missing) {
    const err = await fs.mkdir(d).then(
      () => null,
      (e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? null : e),
    );
    if (err) return `cannot create ${d}: ${reason(err)}`;
  }
  // a probe file: access(W_OK) says yes on a read-only mount and for root everywhere
  const probe = path.join(target, `.rehearse-write-test-${process.pid}`);
  const err = await fs.writeFile(probe, '').then(
    () => null,
    (e: NodeJS.ErrnoException) => e,
  );
  if (err) return `cannot write in ${target}: ${reason(err)}`;
  await fs.rm(probe, { force: true });
  return null;
}

/** An existing file that the run would overwrite must be writable (and not a folder). */
export async function checkWritableFile(file: string): Promise<string | null> {
  const st = await fs.stat(file).catch(() => null);
  if (!st) return null;
  if (st.isDirectory()) return `${file} is a folder`;
  return fs.access(file, constants.W_OK).then(
    () => null,
    (e: NodeJS.ErrnoException) => `${file}: ${reason(e)}`,
  );
}

/** mkdir -p without Node's recursive mkdir (see ensureWritableDir); throws a plain Error. */
export async function makeDir(dir: string): Promise<void> {
  const problem = await ensureWritableDir(dir);
  if (problem) throw new Error(problem);
}

function reason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOENT':
      return 'the file system does not allow a folder here';
    default:
      return err.message;
  }
}
