import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The load runs with durability off (fsync, full_page_writes, synchronous_commit off,
 * wal_level minimal: src/provision/settings.ts); the migrations must replay on a server restarted
 * with production's durability. A migration that fails unless SHOW says so proves it from inside
 * the replay.
 */
const bin = path.resolve('bin/rehearse.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-durability-'));
fs.chmodSync(work, 0o755);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const CHECK = `DO $$
BEGIN
  IF current_setting('fsync') <> 'on' OR current_setting('full_page_writes') <> 'on'
     OR current_setting('synchronous_commit') <> 'on' OR current_setting('wal_level') = 'minimal' THEN
    RAISE EXCEPTION 'replayed with fsync=%, full_page_writes=%, synchronous_commit=%, wal_level=%',
      current_setting('fsync'), current_setting('full_page_writes'), current_setting('synchronous_commit'), current_setting('wal_level');
  END IF;
END $$;
CREATE INDEX events_url_idx ON events (url);
`;

describe('the replay after a load with durability off', () => {
  it('runs with fsync, full_page_writes and synchronous_commit on (SHOW inside the migration)', async () => {
    const migrations = path.join(work, 'migrations');
    fs.mkdirSync(migrations);
    fs.writeFileSync(path.join(migrations, '001_durable.up.sql'), CHECK);
    const out = path.join(work, 'out');
    const res = await execa(
      'node',
      [
        bin,
        'run',
        '--schema',
        'fixtures/analytics/schema.sql',
        '--synthesize',
        'fixtures/analytics/stats.json',
        '--fraction',
        '0.002',
        '--migrations',
        migrations,
        '--out',
        out,
      ],
      { reject: false, cwd: path.resolve('.') },
    );
    expect(res.stderr).not.toMatch(/replayed with|internal error/);
    expect(res.exitCode).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.run.status).toBe('passed');
    expect(report.migrations.map((m: { id: string; status: string }) => [m.id, m.status])).toEqual([['001', 'applied']]);
    expect(report.postgres.settings).toMatchObject({ fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on', wal_level: 'replica' });
  });
});
