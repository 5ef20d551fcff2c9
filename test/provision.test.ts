import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { provision } from '../src/provision/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { sql } from './helpers/db.ts';
import { inject } from 'vitest';
import pg from 'pg';

/** Processes whose command line names the folder (postgres -D <dir>). */
function processesUsing(dir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('embedded provider', () => {
  it('starts on 127.0.0.1, switches to production durability, and leaves nothing behind', async () => {
    const inst = await provision({ provider: 'embedded', settings: { work_mem: '16MB' } }, silentLogger);
    const dataDir = (await sql<{ d: string }>(inst.url, `SELECT current_setting('data_directory') AS d`))[0]!.d;
    expect(new URL(inst.url).hostname).toBe('127.0.0.1');
    expect(inst.major).toBe(17);
    const load = await inst.settingsInForce();
    expect(load).toMatchObject({ fsync: 'off', wal_level: 'minimal', autovacuum: 'off', work_mem: '16MB' });
    await inst.prepareForReplay();
    const replay = await inst.settingsInForce();
    expect(replay).toMatchObject({
      fsync: 'on',
      synchronous_commit: 'on',
      full_page_writes: 'on',
      wal_level: 'replica',
      autovacuum: 'on',
      work_mem: '16MB',
    });
    expect(fs.existsSync(dataDir)).toBe(true);
    expect(processesUsing(dataDir).length).toBeGreaterThan(0);
    await inst.stop();
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(processesUsing(dataDir)).toEqual([]);
    // initdb's password file lives in the run folder, which is gone
    expect(fs.existsSync(path.dirname(dataDir))).toBe(false);
  });

  it('says clearly when a major is not available', async () => {
    await expect(provision({ provider: 'embedded', postgresMajor: 9 }, silentLogger)).rejects.toThrow(/not a PostgreSQL major/);
  });
});

describe('url provider', () => {
  it('creates a scratch database, works only there, drops it at the end', async () => {
    const base = inject('pgUrl');
    const listDbs = async () => (await sql<{ datname: string }>(base, 'SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname);
    const inst = await provision({ provider: 'url', databaseUrl: base }, silentLogger);
    const name = new URL(inst.url).pathname.slice(1);
    expect(name).toMatch(/^rehearse_\d{14}_/);
    expect(await listDbs()).toContain(name);
    await inst.stop();
    expect(await listDbs()).not.toContain(name);
  });

  it('keeps the scratch database with keep', async () => {
    const base = inject('pgUrl');
    const inst = await provision({ provider: 'url', databaseUrl: base, keep: true }, silentLogger);
    const name = new URL(inst.url).pathname.slice(1);
    await inst.stop();
    const rows = await sql(base, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    expect(rows).toHaveLength(1);
    await sql(base, `DROP DATABASE ${pg.escapeIdentifier(name)}`);
  });

  it('an unreachable server is an infrastructure error with the password masked', async () => {
    const err = await provision({ provider: 'url', databaseUrl: 'postgresql://u:secret@127.0.0.1:1/x' }, silentLogger).catch((e) => e);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('cannot connect');
    expect(err.message).not.toContain('secret');
  });
});
