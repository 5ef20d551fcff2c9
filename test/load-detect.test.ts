import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RehearseError } from '../src/core/errors.ts';
import { detectDumpFormat } from '../src/load/index.ts';
import { likelyWriter, newestReadableBy, parseArchiveHeader } from '../src/load/archive-version.ts';
import { parseToolVersion, clientConnection } from '../src/load/client-tools.ts';
import { looksLikeSql } from '../src/load/detect.ts';
import { splitSchema, splitSteps } from '../src/load/fixture.ts';
import { restoredItem } from '../src/load/restore-output.ts';

/** Dump detection reads content only; these files are made by hand (test/load-dump.test.ts uses real pg_dump output). */
let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-detect-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const write = async (name: string, content: string | Uint8Array) => {
  const file = path.join(dir, name);
  await fs.writeFile(file, content);
  return file;
};

/** The first bytes of a pg_dump 15 custom archive: PGDMP, version 1.14.0, int 4, offset 8, format 1. */
const customHeader = (minor = 14, format = 1) => Buffer.from([...Buffer.from('PGDMP'), 1, minor, 0, 4, 8, format, 1, 1, 0, 0, 0]);

/** One 512-byte tar header for a member `name` of `size` bytes (enough for detection). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('ustar\0' + '00', 257, 'latin1');
  return h;
}

async function detectError(file: string): Promise<RehearseError> {
  const err = await detectDumpFormat(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RehearseError);
  return err as RehearseError;
}

const PLAIN = `--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nCREATE TABLE t (id int);\n`;

describe('detectDumpFormat', () => {
  it('reads the format from the content, whatever the name', async () => {
    expect(await detectDumpFormat(await write('a.dump', PLAIN))).toBe('plain');
    expect(await detectDumpFormat(await write('b.sql', customHeader()))).toBe('custom');
    expect(await detectDumpFormat(await write('c.sql', gzipSync(PLAIN)))).toBe('plain-gzip');
    const toc = Buffer.concat([customHeader(14, 3), Buffer.alloc(32)]);
    const tar = Buffer.concat([tarHeader('toc.dat', toc.length), toc, Buffer.alloc(512 - toc.length), Buffer.alloc(1024)]);
    expect(await detectDumpFormat(await write('d.gz', tar))).toBe('tar');
    const folder = path.join(dir, 'e.sql');
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'toc.dat'), customHeader(14, 3));
    expect(await detectDumpFormat(folder)).toBe('directory');
  });

  it.each([
    ['binary junk', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]), undefined],
    ['an empty file', Buffer.alloc(0), /empty/],
    ['text that is not SQL', 'Dear diary, today I restored a database.\n', /not start like SQL/],
    ['a gzip of something else', gzipSync(Buffer.from([0, 1, 2, 3, 4, 5])), /does not contain SQL/],
    ['a gzipped custom archive', gzipSync(customHeader()), /gunzip it first/],
    ['a tar that pg_dump did not write', Buffer.concat([tarHeader('notes.txt', 3), Buffer.alloc(512 + 1024)]), /toc\.dat/],
    ['a truncated archive header', Buffer.from('PGDMP'), /cut short/],
  ])('refuses %s with a usage error naming the file', async (_what, content, hint) => {
    const file = await write(`x-${Math.random().toString(36).slice(2)}.dump`, content);
    const err = await detectError(file);
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(`${file} is not a PostgreSQL dump (expected pg_dump custom/directory/tar or plain SQL)`);
    if (hint) expect(err.hint).toMatch(hint);
  });

  it('refuses a missing file, a folder without toc.dat, and a bare toc.dat', async () => {
    const missing = path.join(dir, 'missing.dump');
    expect((await detectError(missing)).message).toBe(`dump ${missing} does not exist`);
    const folder = path.join(dir, 'not-an-archive');
    await fs.mkdir(folder);
    expect((await detectError(folder)).exitCode).toBe(2);
    await fs.mkdir(path.join(dir, 'arch'));
    const toc = await write('arch/toc.dat', customHeader(14, 3));
    expect((await detectError(toc)).hint).toContain(`--dump ${path.join(dir, 'arch')}`);
  });
});

describe('pure helpers', () => {
  it('recognises SQL after comments, a BOM or psql meta-commands', () => {
    const sqlish = (s: string) => looksLikeSql(Buffer.from(s, 'utf8'));
    expect(sqlish('\ufeff/* header */\n-- x\nselect 1;')).toBe(true);
    expect(sqlish('\\restrict abc\nSET x = 1;')).toBe(true);
    expect(sqlish('-- only a comment')).toBe(true);
    expect(sqlish('   \n\n')).toBe(false);
    expect(sqlish('{"json": true}')).toBe(false);
  });

  it('reads archive headers and what they say about pg_dump and pg_restore', () => {
    expect(parseArchiveHeader(customHeader(16))).toEqual({ version: { major: 1, minor: 16, rev: 0 }, format: 1 });
    expect(parseArchiveHeader(Buffer.from('PGDMP'))).toBeUndefined();
    expect(likelyWriter({ major: 1, minor: 14, rev: 0 })).toBe('pg_dump 12 to 15');
    expect(likelyWriter({ major: 1, minor: 15, rev: 0 })).toBe('pg_dump 16');
    expect(likelyWriter({ major: 1, minor: 16, rev: 0 })).toBe('pg_dump 17 or later');
    expect(likelyWriter({ major: 1, minor: 17, rev: 0 })).toMatch(/newer than PostgreSQL 17/);
    expect(newestReadableBy(15)).toMatchObject({ major: 1, minor: 14 });
    expect(newestReadableBy(17)).toMatchObject({ major: 1, minor: 16 });
  });

  it('reads client versions and keeps the password out of the command line', () => {
    expect(parseToolVersion('pg_restore', 'pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual({
      name: 'pg_restore',
      version: '15.18',
      major: 15,
    });
    expect(parseToolVersion('psql', 'psql (PostgreSQL) 18beta1')).toMatchObject({ version: '18beta1', major: 18 });
    const { conninfo, env } = clientConnection('postgresql://postgres:s%40cret@127.0.0.1:5432/db?sslmode=disable');
    expect(conninfo).toBe('postgresql://postgres@127.0.0.1:5432/db?sslmode=disable');
    expect(env.PGPASSWORD).toBe('s@cret');
  });

  it('counts restored items from pg_restore --verbose', () => {
    expect(restoredItem('pg_restore: processing data for table "public.orders"')).toEqual({ table: 'orders' });
    expect(restoredItem('pg_restore: processing data for table "audit.events"')).toEqual({ table: 'audit.events' });
    expect(restoredItem('pg_restore: creating INDEX "public.orders_user_id_idx"')).toEqual({});
    expect(restoredItem('pg_restore: executing SEQUENCE SET orders_id_seq')).toEqual({});
    expect(restoredItem('pg_restore: launching item 3295 TABLE DATA order_items')).toBeUndefined();
    expect(restoredItem('pg_restore: processing item 221 TABLE order_items')).toBeUndefined();
  });

  it('splits a fixture definition into pre-data, steps and post-data', () => {
    expect(splitSchema('CREATE TABLE a();\n-- @post-data (after rows)\nCREATE INDEX ON a();\n')).toEqual({
      preData: 'CREATE TABLE a();\n',
      postData: '\nCREATE INDEX ON a();\n',
    });
    expect(splitSteps('-- intro\n-- @step a\nINSERT INTO a SELECT $1;\n\n-- @step b\nINSERT INTO b SELECT $2 + $1;\n')).toEqual([
      { name: 'a', sql: 'INSERT INTO a SELECT $1', params: 1 },
      { name: 'b', sql: 'INSERT INTO b SELECT $2 + $1', params: 2 },
    ]);
  });
});
