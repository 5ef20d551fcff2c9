import { createReadStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { usageError } from '../core/errors.ts';
import { ARCHIVE_FORMAT, parseArchiveHeader, type ArchiveVersion } from './archive-version.ts';
import type { DumpFormat } from './types.ts';

/** What a dump is, read from its content (never from its name). */
export interface DumpInfo {
  path: string;
  format: DumpFormat;
  /** archives only: the format version in the header */
  archiveVersion?: ArchiveVersion;
  /** bytes of the file (a directory archive: 0) */
  size: number;
}

const NOT_A_DUMP = 'is not a PostgreSQL dump (expected pg_dump custom/directory/tar or plain SQL)';
const SAMPLE_BYTES = 64 * 1024;

export async function detectDumpFormat(file: string): Promise<DumpFormat> {
  return (await inspectDump(file)).format;
}

export async function inspectDump(file: string): Promise<DumpInfo> {
  const stat = await statDump(file);
  if (stat.isDirectory()) return inspectDirectory(file);
  if (!stat.isFile()) throw usageError(`dump ${file} is not a regular file`, 'pass a pg_dump file or a pg_dump -Fd folder');

  const head = await readHead(file, SAMPLE_BYTES);
  const notADump = (hint = 'make one with pg_dump -Fc (or -Fd, -Ft, or plain SQL, gzipped or not)') => usageError(`${file} ${NOT_A_DUMP}`, hint);
  const kind = sniff(head);
  switch (kind) {
    case 'archive': {
      const header = parseArchiveHeader(head);
      if (!header) throw notADump('it starts with PGDMP but its header is cut short');
      if (header.format !== ARCHIVE_FORMAT.custom) {
        // directory and tar archives carry the same header in their toc.dat
        throw notADump(
          path.basename(file) === 'toc.dat'
            ? `it is the table of contents of a directory archive: pass the folder, --dump ${path.dirname(file)}`
            : 'it is the table of contents of a directory or tar archive: pass the folder or the .tar file',
        );
      }
      return { path: file, format: 'custom', archiveVersion: header.version, size: stat.size };
    }
    case 'tar': {
      const toc = await tarMemberHead(file, 'toc.dat');
      const header = toc && parseArchiveHeader(toc);
      if (!header) throw notADump('it is a tar file without a pg_dump toc.dat: not made by pg_dump -Ft');
      return { path: file, format: 'tar', archiveVersion: header.version, size: stat.size };
    }
    case 'gzip': {
      const inner = await gunzipHead(file, SAMPLE_BYTES);
      if (looksLikeSql(inner)) return { path: file, format: 'plain-gzip', size: stat.size };
      const innerKind = sniff(inner);
      if (innerKind === 'archive' || innerKind === 'tar') {
        throw notADump('it is a gzip-compressed pg_dump archive: gunzip it first (custom and tar archives are read uncompressed)');
      }
      throw notADump('it is gzip-compressed but does not contain SQL text');
    }
    case 'text':
      if (looksLikeSql(head)) return { path: file, format: 'plain', size: stat.size };
      throw notADump(head.length === 0 ? 'the file is empty' : 'it is text but does not start like SQL');
    case 'binary':
      throw notADump(head.length === 0 ? 'the file is empty' : undefined);
  }
}

async function statDump(file: string): Promise<Stats> {
  try {
    return await fs.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw usageError(`dump ${file} does not exist`, 'check the --dump path', err);
    throw usageError(`cannot read dump ${file}: ${(err as Error).message}`, undefined, err);
  }
}

async function inspectDirectory(dir: string): Promise<DumpInfo> {
  const head = await readHead(path.join(dir, 'toc.dat'), 64).catch(() => undefined);
  const header = head && parseArchiveHeader(head);
  if (!header) throw usageError(`${dir} ${NOT_A_DUMP}`, 'a directory archive (pg_dump -Fd) is a folder holding toc.dat');
  return { path: dir, format: 'directory', archiveVersion: header.version, size: 0 };
}

// ---- pure classification of the first bytes ----

export type Sniffed = 'archive' | 'tar' | 'gzip' | 'text' | 'binary';

export function sniff(head: Uint8Array): Sniffed {
  if (head.length >= 5 && String.fromCharCode(...head.subarray(0, 5)) === 'PGDMP') return 'archive';
  if (head.length >= 262 && String.fromCharCode(...head.subarray(257, 262)) === 'ustar') return 'tar';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  return isText(head) ? 'text' : 'binary';
}

/** No NUL bytes and (almost) no control characters other than whitespace; any 8-bit encoding. */
function isText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  return control <= head.length / 1000;
}

const SQL_START =
  /^(\\[a-z]+|(set|create|insert|copy|begin|start|select|alter|drop|comment|grant|revoke|update|delete|with|do|truncate|vacuum|analyze|reindex|cluster|lock|commit|end|rollback|savepoint|reset|values|call|refresh|security|import|table|notify|discard|checkpoint|abort|merge)\b)/i;

/**
 * Plain SQL as pg_dump writes it (or any SQL script): after comments and blank lines, the first
 * token is a SQL command or a psql meta-command. A file of comments only counts as SQL.
 */
export function looksLikeSql(head: Uint8Array): boolean {
  if (!isText(head)) return false;
  let text = Buffer.from(head).toString('latin1');
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  let i = 0;
  let sawComment = false;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
      sawComment = true;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      sawComment = true;
    } else break;
  }
  if (i >= text.length) return sawComment;
  return SQL_START.test(text.slice(i, i + 64));
}

// ---- file reading helpers ----

/** The first `limit` bytes of a dump file, unpacked first when it is gzipped. */
export function dumpHead(file: string, gzipped: boolean, limit: number): Promise<Buffer> {
  return gzipped ? gunzipHead(file, limit) : readHead(file, limit);
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The first bytes of a member of a tar file (pg_dump -Ft writes toc.dat first), or undefined. */
async function tarMemberHead(file: string, member: string, maxMembers = 10_000): Promise<Buffer | undefined> {
  const fh = await fs.open(file, 'r');
  try {
    const header = Buffer.alloc(512);
    let offset = 0;
    for (let n = 0; n < maxMembers; n++) {
      const { bytesRead } = await fh.read(header, 0, 512, offset);
      if (bytesRead < 512 || header[0] === 0) return undefined;
      const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
      const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
      if (!Number.isFinite(size)) return undefined;
      if (name === member || name.endsWith('/' + member)) {
        const body = Buffer.alloc(Math.min(size, 64));
        const read = await fh.read(body, 0, body.length, offset + 512);
        return body.subarray(0, read.bytesRead);
      }
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Up to `limit` decompressed bytes from the start of a gzip file; what could be read if it is corrupt. */
function gunzipHead(file: string, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const source = createReadStream(file);
    const gunzip = createGunzip();
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      source.destroy();
      gunzip.destroy();
      resolve(Buffer.concat(chunks).subarray(0, limit));
    };
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= limit) finish();
    });
    gunzip.on('end', finish);
    gunzip.on('error', finish);
    source.on('error', finish);
    source.pipe(gunzip);
  });
}
