import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { KeyParts } from './types.ts';

/** Length of a key: 16 hex digits of a SHA-256 (64 bits: no accidental collision among one's snapshots). */
const KEY_HEX = 16;

/** The key of a snapshot: a hash of what produced it, in a canonical (sorted-keys) JSON. */
export function snapshotKey(parts: KeyParts): string {
  return crypto.createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, KEY_HEX);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface ContentHash {
  sha256: string;
  bytes: number;
  ms: number;
}

/**
 * SHA-256 of a dump's bytes: a file as it is; a directory-format dump as every file under it in
 * name order, each as its relative path, a NUL, its length, a NUL, and its bytes.
 */
export async function hashContent(p: string): Promise<ContentHash> {
  const started = performance.now();
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  const st = await fs.stat(p);
  if (st.isDirectory()) {
    for (const rel of await filesUnder(p)) {
      const size = (await fs.stat(path.join(p, rel))).size;
      hash.update(`${rel}\0${size}\0`);
      bytes += await feed(hash, path.join(p, rel));
    }
  } else {
    bytes = await feed(hash, p);
  }
  return { sha256: hash.digest('hex'), bytes, ms: Math.round(performance.now() - started) };
}

/** SHA-256 of a few small files (a fixture's definition), in the order given. */
export async function hashFiles(files: string[]): Promise<string> {
  const hash = crypto.createHash('sha256');
  for (const f of files) hash.update(await fs.readFile(f)).update('\0');
  return hash.digest('hex');
}

async function feed(hash: crypto.Hash, file: string): Promise<number> {
  let n = 0;
  // 1 MiB reads: hashing runs at disk or SHA-256 speed, not at syscall speed
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  return n;
}

async function filesUnder(root: string, rel = ''): Promise<string[]> {
  const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(root, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** What identifies one version of a file without reading it: any write changes ctime, which no user can set back. */
interface FileVersion {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

/**
 * hashContent, remembered: the SHA-256 of a dump file is stored in `memo` (a JSON file) with its
 * version (device, inode, size, mtime and ctime in ns) and reused while that is unchanged, so only
 * the first run after a dump changes reads all of it. Directory dumps are hashed every time.
 */
export async function hashContentRemembered(p: string, memo: string): Promise<ContentHash & { remembered: boolean }> {
  const st = await fs.stat(p, { bigint: true });
  if (st.isDirectory()) return { ...(await hashContent(p)), remembered: false };
  const started = performance.now();
  const version: FileVersion = { dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
  const file = path.resolve(p);
  const known = await readMemo(memo);
  const hit = known[file];
  if (hit && canonicalJson(hit.version) === canonicalJson(version)) {
    return { sha256: hit.sha256, bytes: Number(st.size), ms: Math.round(performance.now() - started), remembered: true };
  }
  const h = await hashContent(p);
  // a file written while we read it has another ctime now: do not remember a hash of mixed content
  const after = await fs.stat(p, { bigint: true });
  if (after.ctimeNs === st.ctimeNs && after.mtimeNs === st.mtimeNs) {
    const fresh = await readMemo(memo);
    fresh[file] = { version, sha256: h.sha256 };
    await fs.mkdir(path.dirname(memo), { recursive: true });
    const tmp = `${memo}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(fresh, null, 1));
    await fs.rename(tmp, memo); // readers see the old or the new file, never half of one
  }
  return { ...h, remembered: false };
}

async function readMemo(memo: string): Promise<Record<string, { version: FileVersion; sha256: string }>> {
  try {
    return JSON.parse(await fs.readFile(memo, 'utf8')) as Record<string, { version: FileVersion; sha256: string }>;
  } catch {
    return {};
  }
}
