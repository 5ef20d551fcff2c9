import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ReportSchema } from '../src/report/model/schema.ts';
import { sql } from './helpers/db.ts';

const bin = path.resolve('bin/rehearse.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-cli-'));
fs.chmodSync(work, 0o755);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Run the CLI with its own TMPDIR, so what it leaves behind can be seen. */
async function rehearse(args: string[]) {
  const tmp = fs.mkdtempSync(path.join(work, 'tmp-'));
  fs.chmodSync(tmp, 0o755);
  const res = await execa('node', [bin, ...args], { reject: false, env: { TMPDIR: tmp }, cwd: path.resolve('.') });
  return { ...res, tmp };
}

function processesUsing(dir: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    })
    .filter((cmd) => cmd.includes(dir));
}

/** What a run left in its TMPDIR (tsx keeps its compile cache there: not ours). */
function leftovers(tmp: string): string[] {
  return fs.readdirSync(tmp).filter((f) => !f.startsWith('tsx-'));
}

function readReport(out: string) {
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  ReportSchema.parse(report);
  return report;
}

function writeFiles(dir: string, files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('rehearse run --example', () => {
  it('replays the example, writes a valid report, prints the summary and leaves nothing running', async () => {
    const out = path.join(work, 'example');
    const res = await rehearse(['run', '--example', '--scale', '3000', '--out', out]);
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toContain('12 applied, 0 failed, 0 skipped');
    const report = readReport(out);
    expect(report.run.status).toBe('passed');
    expect(report.postgres.settings).toMatchObject({ fsync: 'on', wal_level: 'replica' });
    expect(report.dataset.tables.find((t: { name: string }) => t.name === 'orders').rows).toBe(3000);
    const bigint = report.migrations.find((m: { id: string }) => m.id === '003').statements[0];
    expect(bigint.rewrites.map((r: { relation: string }) => r.relation)).toContain('order_items');
    const cic = report.migrations.find((m: { id: string }) => m.id === '005').statements[0];
    expect(cic).toMatchObject({ inTransaction: false, lockSource: 'sampled' });
    expect(cic.strongestLocks).toEqual([{ relation: 'orders', mode: 'ShareUpdateExclusiveLock' }]);
    // nothing of the run remains: no process on its temp folder, no data directory
    expect(processesUsing(res.tmp)).toEqual([]);
    expect(leftovers(res.tmp)).toEqual([]);
  });
});

describe('Ctrl-C during a run', () => {
  it('stops the server, removes its data, writes the partial report and exits 130', async () => {
    const tmp = fs.mkdtempSync(path.join(work, 'tmp-'));
    const out = path.join(work, 'interrupted');
    const child = execa('node', [bin, 'run', '--example', '--scale', '2000000', '--out', out], { reject: false, env: { TMPDIR: tmp } });
    // interrupt while the dataset is being generated
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('shop:')) resolve();
      });
    });
    child.kill('SIGINT');
    const res = await child;
    expect(res.exitCode).toBe(130);
    expect(readReport(out).run).toMatchObject({ status: 'error', exitCode: 130, error: { kind: 'interrupted' } });
    expect(processesUsing(tmp)).toEqual([]);
    expect(leftovers(tmp)).toEqual([]);
  });
});

describe('bad input gets one clear message and its exit code', () => {
  const migrations = writeFiles(path.join(work, 'ok-migrations'), { '001_a.sql': 'CREATE TABLE a (id int);\n' });

  it('a missing dump → 2', async () => {
    const out = path.join(work, 'missing-dump');
    const res = await rehearse(['run', '--dump', path.join(work, 'nope.dump'), '--migrations', migrations, '--out', out]);
    expect(res.exitCode).toBe(2);
    expect(res.stdout + res.stderr).toMatch(/nope\.dump/);
    expect(readReport(out).run).toMatchObject({ status: 'error', exitCode: 2 });
    expect(leftovers(res.tmp)).toEqual([]);
  });

  it('a file that is not a dump → 2', async () => {
    const junk = path.join(work, 'junk.dump');
    fs.writeFileSync(junk, Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 7]));
    const res = await rehearse(['run', '--dump', junk, '--migrations', migrations, '--out', path.join(work, 'junk')]);
    expect(res.exitCode).toBe(2);
    expect(res.stdout + res.stderr).toMatch(/junk\.dump.*not a PostgreSQL dump/);
    expect(leftovers(res.tmp)).toEqual([]);
  });

  it('a migration with a syntax error → 2, naming file:line, before any server starts', async () => {
    const dir = writeFiles(path.join(work, 'bad-syntax'), { '001_a.sql': 'CREATE TABLE a (id int);\n\nALTER TABLE a ADD COLUMN b int\n  DEFALT 1;\n' });
    const res = await rehearse(['run', '--migrations', dir, '--out', path.join(work, 'syntax')]);
    expect(res.exitCode).toBe(2);
    expect(res.stdout + res.stderr).toMatch(/001_a\.sql:4: syntax error at or near "DEFALT"/);
    expect(leftovers(res.tmp)).toEqual([]);
  });

  it('an unrecognised migration layout → 2', async () => {
    const dir = writeFiles(path.join(work, 'bad-layout'), { 'schema.rb': 'ActiveRecord::Schema.define' });
    const res = await rehearse(['run', '--migrations', dir, '--out', path.join(work, 'layout')]);
    expect(res.exitCode).toBe(2);
    expect(res.stdout + res.stderr).toMatch(/bad-layout/);
  });

  it('an unreachable server → 3, password masked', async () => {
    const res = await rehearse([
      'run',
      '--database-url',
      'postgresql://me:topsecret@127.0.0.1:1/app',
      '--migrations',
      migrations,
      '--out',
      path.join(work, 'unreachable'),
    ]);
    expect(res.exitCode).toBe(3);
    expect(res.stdout + res.stderr).toMatch(/cannot connect to postgresql:\/\/me:\*\*\*\*@127\.0\.0\.1:1\/app/);
    expect(res.stdout + res.stderr + fs.readFileSync(path.join(work, 'unreachable', 'report.json'), 'utf8')).not.toContain('topsecret');
  });

  it('an unknown config key → 2 naming the key', async () => {
    const cfg = path.join(work, 'bad.config.json');
    fs.writeFileSync(cfg, JSON.stringify({ migrations: migrations, lockTimout: '2s' }));
    const res = await rehearse(['run', '--config', cfg]);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/bad\.config\.json: unknown key "lockTimout"/);
  });

  it('a failing migration → 1, the report says where', async () => {
    const dir = writeFiles(path.join(work, 'failing'), {
      '001_a.sql': 'CREATE TABLE a (id int);\n',
      '002_b.sql': '-- adds a column\nALTER TABLE a ADD COLUMN b int;\nALTER TABLE nope ADD COLUMN c int;\n',
      '003_c.sql': 'ALTER TABLE a ADD COLUMN d int;\n',
    });
    const out = path.join(work, 'failing-out');
    const res = await rehearse(['run', '--migrations', dir, '--out', out]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/002_b\.sql:3: 42P01 relation "nope" does not exist/);
    const report = readReport(out);
    expect(report.migrations.map((m: { status: string }) => m.status)).toEqual(['applied', 'failed', 'skipped']);
  });
});

describe('--provider url', () => {
  it('works in a scratch database and drops it, touching no other database', async () => {
    const base = inject('pgUrl');
    const dbs = async () => (await sql<{ datname: string }>(base, 'SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname);
    const dir = writeFiles(path.join(work, 'url-migrations'), { '001_a.sql': 'CREATE TABLE marker_table (id int);\n' });
    const out = path.join(work, 'url-out');
    const res = await rehearse(['run', '--database-url', base, '--migrations', dir, '--out', out]);
    const scratch = /scratch database (rehearse_\d{14}_\w+) created/.exec(res.stderr)?.[1];
    expect(scratch).toBeDefined();
    expect(res.exitCode).toBe(0);
    // other test files create databases on the same server meanwhile: look for ours only
    expect(await dbs()).not.toContain(scratch);
    // the migration ran only in the scratch database
    const elsewhere = await sql(base, `SELECT 1 FROM pg_class WHERE relname = 'marker_table'`);
    expect(elsewhere).toEqual([]);
    expect(readReport(out).postgres.provider).toBe('url');
  });
});
