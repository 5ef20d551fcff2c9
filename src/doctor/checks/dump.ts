import { treeBytes } from '../../core/files.ts';
import { RehearseError, describeError } from '../../core/errors.ts';
import { formatArchiveVersion, likelyWriter } from '../../load/index.ts';
import { dumpHead, inspectDump, type DumpInfo } from '../../load/index.ts';
import type { Check } from '../types.ts';

/** A dump as the doctor sees it: what the load stage detects, its size on disk, and for plain SQL
 *  the versions pg_dump wrote in its header. */
export interface DumpFacts extends DumpInfo {
  /** bytes on disk (a directory archive: all its files) */
  bytes: number;
  /** plain SQL: "-- Dumped from database version 16.4" / "-- Dumped by pg_dump version 17.2" */
  sourceVersion?: string;
  pgDumpVersion?: string;
}

export async function checkDump(file: string): Promise<{ check: Check; facts: DumpFacts | null }> {
  let info: DumpInfo;
  try {
    info = await inspectDump(file);
  } catch (err) {
    const hint = err instanceof RehearseError ? err.hint : undefined;
    return { check: { name: 'dump', status: 'fail', message: describeError(err), ...(hint ? { fix: hint } : {}) }, facts: null };
  }
  const bytes = info.format === 'directory' ? await treeBytes(info.path) : info.size;
  const header = info.format === 'plain' || info.format === 'plain-gzip' ? await plainHeader(info.path, info.format === 'plain-gzip') : {};
  const facts: DumpFacts = { ...info, bytes, ...header };
  const what = info.archiveVersion
    ? `${info.format} archive, format ${formatArchiveVersion(info.archiveVersion)} (${likelyWriter(info.archiveVersion)})`
    : `${info.format === 'plain-gzip' ? 'gzipped plain SQL' : 'plain SQL'}${header.pgDumpVersion ? ` by pg_dump ${header.pgDumpVersion}` : ''}${header.sourceVersion ? ` of PostgreSQL ${header.sourceVersion}` : ''}`;
  return { check: { name: 'dump', status: 'ok', message: `${file}: ${what}, ${formatBytes(bytes)}` }, facts };
}

/** The versions in the comment header pg_dump writes at the top of a plain dump. */
async function plainHeader(file: string, gzipped: boolean): Promise<{ sourceVersion?: string; pgDumpVersion?: string }> {
  const head = (await dumpHead(file, gzipped, 8192).catch(() => Buffer.alloc(0))).toString('utf8');
  const from = /^-- Dumped from database version (\S+)/m.exec(head)?.[1];
  const by = /^-- Dumped by pg_dump version (\S+)/m.exec(head)?.[1];
  return { ...(from ? { sourceVersion: from } : {}), ...(by ? { pgDumpVersion: by } : {}) };
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
