import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { resolvePlan } from '../src/config/index.ts';
import { rehearse } from '../src/rehearsal.ts';
import { silentLogger } from '../src/util/log.ts';
import { sql } from './helpers/db.ts';

/**
 * Bad input to --synthesize: one clear message each, exit 2, and nothing left behind (the run
 * works in a scratch database of the shared server through --database-url; it must be dropped).
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-synbad-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(work, name);
  fs.writeFileSync(file, text);
  return file;
};
const migrations = path.join(work, 'migrations');
fs.mkdirSync(migrations);
fs.writeFileSync(path.join(migrations, '001_a.sql'), 'SELECT 1;\n');

const schema = write('schema.sql', 'CREATE TABLE accounts (id int PRIMARY KEY, name text);\nCREATE TABLE notes (id int PRIMARY KEY, body text);\n');

async function run(schemaFile: string, statsFile: string) {
  const base = inject('pgUrl');
  const before = await scratchDatabases(base);
  const plan = resolvePlan({}, { databaseUrl: base, schema: schemaFile, synthesize: statsFile, migrations, quiet: true });
  const { report, exitCode } = await rehearse(plan, silentLogger);
  const left = (await scratchDatabases(base)).filter((d) => !before.includes(d));
  return { exitCode, error: report.run.error, left };
}

const scratchDatabases = async (url: string) => (await sql<{ datname: string }>(url, `SELECT datname FROM pg_database WHERE datname LIKE 'rehearse\\_%'`)).map((r) => r.datname);

describe('--synthesize with bad input', () => {
  it('statistics for a table the schema does not have', async () => {
    const stats = write('extra.json', JSON.stringify({ tables: { accounts: { rows: 10 }, notes: { rows: 5 }, 'public.invoices': { rows: 100 } } }));
    const r = await run(schema, stats);
    expect(r.exitCode).toBe(2);
    expect(r.error?.message).toBe(`${stats} has statistics for table public.invoices, not in the schema`);
    expect(r.left).toEqual([]);
  });

  it('a table of the schema without statistics', async () => {
    const stats = write('missing.json', JSON.stringify({ tables: { accounts: { rows: 10 } } }));
    const r = await run(schema, stats);
    expect(r.exitCode).toBe(2);
    expect(r.error?.message).toBe(`${stats} has no statistics for table public.notes of the schema`);
    expect(r.left).toEqual([]);
  });

  it('a type it cannot generate', async () => {
    const odd = write('odd.sql', 'CREATE TABLE snapshots (id int PRIMARY KEY, snap pg_snapshot NOT NULL, acl aclitem);\n');
    const stats = write('odd.json', JSON.stringify({ tables: { snapshots: { rows: 10 } } }));
    const r = await run(odd, stats);
    expect(r.exitCode).toBe(2);
    expect(r.error?.message).toBe('cannot generate values of these columns: public.snapshots.snap (pg_snapshot), public.snapshots.acl (aclitem)');
    expect(r.error?.hint).toMatch(/DEFAULT/);
    expect(r.left).toEqual([]);
  });

  it('a table whose constraints cannot be met, by name', async () => {
    const tight = write('tight.sql', 'CREATE TABLE flags (id int PRIMARY KEY, code smallint UNIQUE, level int NOT NULL CHECK (level < 0));\n');
    const r1 = await run(tight, write('tight1.json', JSON.stringify({ tables: { flags: { rows: 40000 } } })));
    expect(r1.exitCode).toBe(2);
    expect(r1.error?.message).toMatch(/^public\.flags\.code is unique but its type smallint holds only 32,767 different values, fewer than the 40,000 rows to make/);
    const r2 = await run(tight, write('tight2.json', JSON.stringify({ tables: { flags: { rows: 100 } } })));
    expect(r2.exitCode).toBe(2);
    expect(r2.error?.message).toMatch(/^public\.flags: 100 of 100 rows met no CHECK constraint of the table \(flags_level_check\)/);
    expect([...r1.left, ...r2.left]).toEqual([]);
  });

  it('a statistics file of another shape: one message, exit 2, before any server starts', async () => {
    const stats = write('shape.json', JSON.stringify({ relations: [{ name: 'accounts', reltuples: 10 }] }));
    const plan = resolvePlan({}, { schema, synthesize: stats, migrations, quiet: true });
    const { report, exitCode } = await rehearse(plan, silentLogger);
    expect(exitCode).toBe(2);
    expect(report.run.error?.message).toBe(`${stats}: not a statistics file: tables: Invalid input: expected record, received undefined`);
    expect(report.postgres).toBeNull();
  });
});
