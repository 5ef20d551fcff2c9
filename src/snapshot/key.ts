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
