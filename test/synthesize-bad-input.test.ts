import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { resolvePlan } from '../src/config/index.ts';
import { rehearse } from '../src/rehearsal.ts';
import { silentLogger } from '../src/core/log.ts';
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
  const plan = resolvePlan({}, { databaseUrl: base, schema: schemaFile, synthesize: statsFile, migrations, quiet: true });
  let scratch: string | undefined;
  const log = { ...silentLogger, info: (m: string) => (scratch ??= /scratch database (\S+) created/.exec(m)?.[1]) };
  const { report, exitCode } = await rehearse(plan, log);
  const exists = await sql(base, `SELECT 1 FROM pg_database WHERE datname = $1`, [scratch]);
  return { exitCode, error: report.run.error, scratch, left: exists.length };
}

// independent runs, each in its own scratch database: side by side
describe.concurrent('--synthesize with bad input', () => {
  it('statistics for a table the schema does not have', async () => {
    const stats = write('extra.json', JSON.stringify({ tables: { accounts: { rows: 10 }, notes: { rows: 5 }, 'public.invoices': { rows: 100 } } }));
    const r = await run(schema, stats);
    expect(r.exitCode).toBe(2);
    expect(r.error?.message).toBe(`${stats} has statistics for table public.invoices, not in the schema`);
    expect(r.scratch).toMatch(/^rehearse_/);
    expect(r.left).toBe(0);
  });

  it('a table of the schema without statistics', async () => {
    const stats = write('missing.json', JSON.stringify({ tables: { accounts: { rows: 10 } } }));
    const r = await run(schema, stats);
    expect(r.exitCode).toBe(2);
    expect(r.error?.message).toBe(`${stats} has no statistics for table public.notes of the schema`);
    expect(r.scratch).toMatch(/^rehearse_/);
    expect(r.left).toBe(0);
  });

  it('a type it cannot generate', async () => {
    const odd = write('odd.sql', 'CREATE TABLE snapshots (id int PRIMARY KEY, snap pg_snapshot NOT NULL, acl aclitem);\n');
    const stats = write('odd.json', JSON.stringify({ tables: { snapshots: { rows: 10 } } }));
    const r = await run(odd, stats);
    expect(r.exitCode).toBe(2);
    expect(r.error?.message).toBe('cannot generate values of these columns: public.snapshots.snap (pg_snapshot), public.snapshots.acl (aclitem)');
    expect(r.error?.hint).toMatch(/DEFAULT/);
    expect(r.scratch).toMatch(/^rehearse_/);
    expect(r.left).toBe(0);
  });

  it('a table whose constraints cannot be met, by name', async () => {
    const tight = write('tight.sql', 'CREATE TABLE flags (id int PRIMARY KEY, code smallint UNIQUE, level int NOT NULL CHECK (level < 0));\n');
    const [r1, r2] = await Promise.all([
      run(tight, write('tight1.json', JSON.stringify({ tables: { flags: { rows: 40000 } } }))),
      run(tight, write('tight2.json', JSON.stringify({ tables: { flags: { rows: 100 } } }))),
    ]);
    expect(r1.exitCode).toBe(2);
    expect(r1.error?.message).toMatch(
      /^public\.flags\.code is unique but its type smallint holds only 32,767 different values, fewer than the 40,000 rows to make/,
    );
    expect(r2.exitCode).toBe(2);
    expect(r2.error?.message).toMatch(/^public\.flags: 100 of 100 rows met no CHECK constraint of the table \(flags_level_check\)/);
    expect([r1.left, r2.left]).toEqual([0, 0]);
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
