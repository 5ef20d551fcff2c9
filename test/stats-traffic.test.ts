import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../src/cli/program.ts';
import { silentLogger } from '../src/core/log.ts';
import { provision, type Instance } from '../src/provision/index.ts';
import { collectTraffic, readStatsFile, type StatsFile } from '../src/stats/index.ts';
import { filesIn } from './helpers/plan.ts';

/**
 * Issue 20, items 1 and 2: `rehearse stats --window` on a server with pg_stat_statements preloaded
 * (an embedded one of this file's own) records a known mix — three statements at 100, 20 and 5 per
 * second, sent by a driver with a fixed schedule — and a transaction left open; `rehearse workload
 * --from` turns the file into a workload that, run against a copy of the dataset, reproduces the
 * mix and makes an ALTER TABLE wait behind the long transaction.
 */

const SECRET = 'Secret-Name-';
const MIX = [
  { sql: 'SELECT name FROM items WHERE id = $1', rate: 100, params: (k: number) => [1 + ((k * 7) % 1000)] },
  { sql: 'INSERT INTO events (id, item_id, note) VALUES ($1, $2, $3)', rate: 20, params: (k: number) => [100_000 + k, 1 + (k % 1000), 'a note'] },
  { sql: 'UPDATE items SET qty = qty + 1 WHERE id = $1', rate: 5, params: (k: number) => [1 + ((k * 13) % 1000)] },
];
const WINDOW_S = 4;

const DATASET = `
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL UNIQUE, qty int NOT NULL DEFAULT 0);
CREATE TABLE events (id bigint PRIMARY KEY, item_id int NOT NULL REFERENCES items (id), note text);
INSERT INTO items SELECT g, '${SECRET}' || g, g % 7 FROM generate_series(1, 1000) g;
INSERT INTO events SELECT g, 1 + g % 1000, 'seed' FROM generate_series(1, 500) g;
ANALYZE items; ANALYZE events;
`;

let instance: Instance;
let url: string;
const work = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'rehearse-traffic-'));
const bin = path.resolve('bin/rehearse.js');
const statsFile = path.join(work, 'prod-stats.json');

async function client(application: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: application });
  await c.connect();
  return c;
}

/**
 * Each statement on its own connection, open loop on a fixed schedule (the k-th call is due at
 * k / rate seconds); the end time of every call is kept, so the test knows how many each sent
 * inside the window, whatever a loaded machine did to the schedule.
 */
async function drive() {
  const clients = await Promise.all(MIX.map(() => client('shop')));
  const ended: number[][] = MIX.map(() => []);
  const t0 = performance.now();
  let stop = false;
  const loops = MIX.map(async (s, i) => {
    let k = 0;
    while (!stop) {
      const due = Math.floor(((performance.now() - t0) * s.rate) / 1000);
      while (k < due && !stop) {
        await clients[i]!.query(s.sql, s.params(k++));
        ended[i]!.push(Date.now());
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  });
  return {
    ended,
    stop: async () => {
      stop = true;
      await Promise.all(loops);
      await Promise.all(clients.map((c) => c.end()));
    },
  };
}

/** The CLI in this process (a child's start costs seconds on a loaded machine): exit code and what it wrote to stderr. */
async function cli(args: string[]): Promise<{ exitCode: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const exitCode = await main(['node', 'rehearse', ...args]);
    return { exitCode, stderr };
  } finally {
    process.stderr.write = write;
  }
}

beforeAll(async () => {
  instance = await provision({ provider: 'embedded', settings: { shared_preload_libraries: 'pg_stat_statements' } }, silentLogger);
  const admin = await new pg.Client({ connectionString: instance.url });
  await admin.connect();
  await admin.query('CREATE DATABASE shop');
  await admin.end();
  const u = new URL(instance.url);
  u.pathname = '/shop';
  url = u.toString();
  const c = await client('setup');
  await c.query('CREATE EXTENSION pg_stat_statements');
  await c.query(DATASET);
  await c.end();
}, 120_000);

afterAll(async () => {
  await instance?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('rehearse stats --window', () => {
  it('records exactly the three statements of the mix at their rates, the open transaction on its table, and no value', async () => {
    const driver = await drive();
    // a transaction left open on items, its statement carrying a literal (only its table may leave)
    const report = await client('shop-report');
    await report.query(`BEGIN; SELECT qty FROM items WHERE name = '${SECRET}7'`);
    const res = await execa('node', [bin, 'stats', '--database-url', url, '--window', `${WINDOW_S}s`, '--out', statsFile], { reject: false });
    await driver.stop();
    await report.query('COMMIT');
    await report.end();
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/3 statements over 4\.\d+ s/);

    const text = fs.readFileSync(statsFile, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('a note');
    const stats = await readStatsFile(statsFile);
    const t = stats.traffic!;
    expect(t.windowMs).toBeGreaterThanOrEqual(WINDOW_S * 1000);
    expect(t.statements!.map((s) => s.text)).toEqual([
      'SELECT name FROM items WHERE id = $1',
      'INSERT INTO events (id, item_id, note) VALUES ($1, $2, $3)',
      'UPDATE items SET qty = qty + $2 WHERE id = $1',
    ]);
    // what the driver sent inside the window (its calls that ended between the two reads; at most
    // one in flight per statement at each end): the recorded rates are within 15 % of it
    const from = Date.parse(t.startedAt!);
    const sent = driver.ended.map((ends) => ends.filter((e) => e >= from && e <= from + t.windowMs).length);
    t.statements!.forEach((s, i) => {
      const rate = (sent[i]! * 1000) / t.windowMs;
      expect(s.callsPerSec, `${s.text}: sent ${sent[i]} (${rate}/s), nominal ${MIX[i]!.rate}/s`).toBeGreaterThan(rate * 0.85);
      expect(s.callsPerSec, `${s.text}: sent ${sent[i]} (${rate}/s), nominal ${MIX[i]!.rate}/s`).toBeLessThan(rate * 1.15);
      expect(s.rowsPerCall).toBe(1);
      expect(s.queryid).toMatch(/^-?\d+$/);
    });
    expect(t.statements![0]).toMatchObject({ command: 'SELECT', tables: ['public.items'], applications: ['shop'] });
    expect(t.skipped!.own).toBeGreaterThan(0);
    const a = t.activity!;
    expect(a.connections.find((c) => c.application === 'shop')!.max).toBe(3);
    expect(a.connections.find((c) => c.application === 'shop-report')!.max).toBe(1);
    expect(a.maxConnections).toBeGreaterThanOrEqual(4);
    expect(a.longest[0]).toMatchObject({ application: 'shop-report', tables: ['public.items'] });
    expect(a.longest[0]!.openMs).toBeGreaterThanOrEqual(WINDOW_S * 1000 - 200);
    expect(a.longest[0]!.idleInTransactionMs).toBeGreaterThanOrEqual(WINDOW_S * 1000 - 200);
    expect(a.transactions.idleInTransaction.maxMs).toBe(a.longest[0]!.idleInTransactionMs);
    // the column types a derived INSERT is made from
    expect(stats.tables['public.events']!.columnTypes).toEqual({ id: 'bigint', item_id: 'integer', note: 'text' });
  }, 120_000);
});

describe('without the privilege', () => {
  it('a role without pg_read_all_stats: one message saying how to grant it, the activity profile still written', async () => {
    const admin = await client('setup');
    await admin.query(`DROP ROLE IF EXISTS plain; CREATE ROLE plain LOGIN PASSWORD 'pw'`);
    await admin.end();
    const u = new URL(url);
    u.username = 'plain';
    u.password = 'pw';
    const t = await collectTraffic(u.toString(), { windowMs: 200 });
    expect(t.statements).toBeUndefined();
    expect(t.statementsUnavailable).toMatch(/^role plain may not read other roles' statements in pg_stat_statements: GRANT pg_read_all_stats TO plain/);
    expect(t.activity!.samples).toBeGreaterThan(0);
  });
});

describe('rehearse workload --from, then a run with it', () => {
  it('reproduces the mix, inserts fresh keys, and the long transaction holds an ALTER in the lock queue; an unreadable statement is listed', async () => {
    const stats: StatsFile = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
    // a statement the parser cannot read (as a text cut at track_activity_query_size would be)
    // (second busiest, so that it is inside the default coverage too)
    const busiest = stats.traffic!.statements![0]!;
    const calls = busiest.calls - 1;
    const callsPerSec = (busiest.callsPerSec * calls) / busiest.calls;
    stats.traffic!.statements!.splice(1, 0, {
      queryid: '42',
      text: 'SELECT name FROM items WHERE id = $1 AND',
      calls,
      callsPerSec,
      rowsPerCall: 1,
      meanMs: 0.1,
    });
    // the recorded transaction was open for the CLI's start and the whole window (5-9 s): a
    // profile of 2.5 s keeps this run short, the derivation is the same
    stats.traffic!.activity!.longest[0]!.openMs = 2500;
    const withBad = path.join(work, 'with-bad.json');
    fs.writeFileSync(withBad, JSON.stringify(stats));
    const yamlFile = path.join(work, 'workload.yaml');
    const derived = await cli(['workload', '--from', withBad, '--coverage', '1', '--out', yamlFile]);
    expect(derived.exitCode, derived.stderr).toBe(0);
    expect(derived.stderr).toMatch(/3 queries at .* executions\/s in all, 1 background transaction, 1 statement not bound/);
    const yaml = fs.readFileSync(yamlFile, 'utf8');
    expect(yaml).toMatch(
      /# Not bound[^\n]*\n#\s+queryid 42 \([\d.,]+ calls\/s\): the parser cannot read it: syntax error at end of input\n#\s+SELECT name FROM items WHERE id = \$1 AND/,
    );
    expect(yaml).toContain('params: [ { sample: items.id } ]');
    expect(yaml).toMatch(
      /INSERT INTO events \(id, item_id, note\) VALUES \(\$1, \$2, \$3\)\n\s+params: \[ \{ int: \[ 4503599627370496, 9007199254740991 \] \}, \{ sample: events.item_id \}, \{ sample: events.note \} \]/,
    );
    expect(yaml).toMatch(/UPDATE items SET qty = qty \+ \$2 WHERE id = \$1\n\s+params: \[ \{ sample: items.id \}, \{ int: \[ 1, 10 \] \} \]/);
    expect(yaml).toMatch(
      /- name: long_transaction_1\n\s+app: old\n\s+at: 0s\n\s+transaction:\n\s+- sql: SELECT 1 FROM items LIMIT 1\n\s+- sql: SELECT pg_sleep\(2\.5\)/,
    );

    const dump = path.join(filesIn({ 'shop.sql': DATASET }), 'shop.sql');
    const migrations = filesIn({ '001_pause.sql': 'SELECT pg_sleep(0.5);\n', '002_add_column.sql': 'ALTER TABLE items ADD COLUMN extra int;\n' });
    const out = path.join(work, 'run');
    const outFrom = path.join(work, 'run-from');
    const runWith = (workload: string[], dir: string) =>
      execa(
        'node',
        [
          bin,
          'run',
          '--database-url',
          inject('pgUrl'),
          '--dump',
          dump,
          '--migrations',
          migrations,
          ...workload,
          '--out',
          dir,
          '--warmup',
          '1s',
          '--cooldown',
          '1s',
          '--format',
          'json',
          '--quiet',
        ],
        { reject: false },
      );
    // side by side: the file `rehearse workload` wrote, and --workload-from deriving it on the fly
    // (default coverage: the UPDATE at 5/s is below 95 %, the unreadable statement above it)
    const [run, runFrom] = await Promise.all([runWith(['--workload', yamlFile], out), runWith(['--workload-from', withBad], outFrom)]);
    expect([0, 1], run.stderr).toContain(run.exitCode);
    expect([0, 1], runFrom.stderr).toContain(runFrom.exitCode);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    const [select, insert, update] = report.workload.apps.find((a: { name: string }) => a.name === 'old').queries as {
      name: string;
      count: number;
      dropped: number;
      errors: Record<string, number>;
    }[];
    // the mix as the file recorded it (100:20:5 on a quiet machine), reproduced within 15 %
    const [r1, r2, r3] = stats.traffic!.statements!.filter((x) => x.queryid !== '42').map((x) => x.callsPerSec);
    const executed = (q: { count: number; dropped: number }) => q.count + q.dropped;
    const why = `executed ${[select, insert, update].map((q) => executed(q!)).join(':')}, recorded ${r1}:${r2}:${r3}/s`;
    expect(executed(select!) / executed(insert!), why).toBeGreaterThan((r1! / r2!) * 0.85);
    expect(executed(select!) / executed(insert!), why).toBeLessThan((r1! / r2!) * 1.15);
    expect(executed(select!) / executed(update!), why).toBeGreaterThan((r1! / r3!) * 0.85);
    expect(executed(select!) / executed(update!), why).toBeLessThan((r1! / r3!) * 1.15);
    expect(insert!.errors['23505'] ?? 0).toBe(0);
    expect(insert!.count).toBeGreaterThan(50);
    // the ALTER waited behind the long transaction; the reads queued behind it have it as root
    const alter = report.migrations[1].statements[0];
    expect(alter.lockWaitMs).toBeGreaterThan(1000);
    const queued = report.blocking.filter((b: { app: string; rootBlocker: string }) => b.app === 'old' && b.rootBlocker === 'old/long_transaction_1');
    expect(queued.length).toBeGreaterThan(0);

    // --workload-from: the derived file beside the report, the unreadable statement listed, the run on
    const derivedYaml = fs.readFileSync(path.join(outFrom, 'workload.derived.yaml'), 'utf8');
    expect(derivedYaml).toMatch(/# Not bound[^\n]*\n#\s+queryid 42 \([\d.,]+ calls\/s\): the parser cannot read it/);
    expect(derivedYaml).toMatch(/# Left out below the coverage: 1 statement/);
    const fromReport = JSON.parse(fs.readFileSync(path.join(outFrom, 'report.json'), 'utf8'));
    expect(fromReport.workload.apps[0].queries.map((q: { name: string }) => q.name)).toEqual(['q01_select_items', 'q03_insert_events']);
    expect(fromReport.blocking.some((b: { rootBlocker: string }) => b.rootBlocker === 'old/long_transaction_1')).toBe(true);
    // impact at production's rate: the file's calls/s on items (the SELECT and the UPDATE wait for
    // AccessExclusive) × the ALTER's measured hold
    const onItems = stats.traffic!.statements!.filter((x) => x.tables?.includes('public.items')).reduce((sum, x) => sum + x.callsPerSec, 0);
    const [impact] = fromReport.migrations[1].statements[0].atProductionRate;
    expect(impact).toMatchObject({ table: 'public.items', mode: 'AccessExclusiveLock', holdFrom: 'measured', productionStatements: 2 });
    expect(impact.productionCallsPerSec).toBeCloseTo(onItems, 3);
    expect(impact.holdMs).toBeCloseTo(fromReport.migrations[1].statements[0].lockHeldMs, 1);
    expect(impact.estimatedQueuedQueries).toBe(Math.round((impact.productionCallsPerSec * impact.holdMs) / 1000));
    expect(impact.productionConnections).toBe(stats.traffic!.activity!.maxConnections);
  }, 240_000);

  it('a statistics file without statements given to --workload-from: exit 2 naming rehearse stats --window', async () => {
    const bare = path.join(work, 'bare.json');
    fs.writeFileSync(bare, JSON.stringify({ tables: { 'public.items': { rows: 10 } } }));
    const migrations = filesIn({ '001.sql': 'SELECT 1;\n' });
    const res = await cli([
      'run',
      '--database-url',
      inject('pgUrl'),
      '--migrations',
      migrations,
      '--workload-from',
      bare,
      '--out',
      path.join(work, 'bare-run'),
    ]);
    expect(res.exitCode, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/bare\.json holds no statements/);
    expect(res.stderr).toMatch(/rehearse stats --window/);
  });
});
