import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { inject } from 'vitest';
import { RehearseError } from '../src/core/errors.ts';
import { provision } from '../src/provision/index.ts';
import { connectionsNeeded, describeNeed, parseWorkload, startTraffic } from '../src/traffic/index.ts';
import { autoThreads, BatchMerger, planShards, type RecordBatch } from '../src/traffic/threads.ts';
import type { Outcome } from '../src/traffic/stats.ts';
import { silentLogger } from '../src/core/log.ts';
import { listScratchDatabases } from '../src/ownership/scratch.ts';

const twoBigApps = parseWorkload(
  ['old', 'new']
    .map((name) =>
      [
        `  ${name}:`,
        '    clients: 300',
        '    queries:',
        '      - name: get',
        '        sql: SELECT id FROM items WHERE id = $1',
        '        params: [{ int: [1, 100] }]',
        '        rate: 300',
      ].join('\n'),
    )
    .join('\n')
    .replace(/^/, 'apps:\n'),
  'big.yaml',
);

/** Issue 13: pools as in production, and a server sized for them. */
describe('pools of hundreds of clients', () => {
  it('two apps of 300 clients each run on an embedded server sized for them', async () => {
    const need = connectionsNeeded(twoBigApps);
    expect(need).toMatchObject({ clients: 600, background: 0 });
    const instance = await provision({ provider: 'embedded', connections: { total: need.total, text: describeNeed(need) } }, silentLogger);
    try {
      await instance.prepareForReplay();
      const admin = new pg.Client({ connectionString: instance.url });
      await admin.connect();
      try {
        const max = Number((await admin.query('SHOW max_connections')).rows[0].max_connections);
        expect(max).toBeGreaterThanOrEqual(need.total);
        await admin.query('CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 100)');
        const run = await startTraffic(instance.url, twoBigApps, { log: silentLogger });
        const open = (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'rehearse/app/%'")).rows[0].n;
        await new Promise((r) => setTimeout(r, 1000));
        const result = await run.stop();
        expect(open).toBe(600);
        for (const app of result.apps) {
          expect(app.clients).toBe(300);
          expect(app.queries[0]!.errors).toEqual({});
          expect(app.queries[0]!.count).toBeGreaterThan(0);
        }
      } finally {
        await admin.end();
      }
    } finally {
      await instance.stop();
    }
  });

  it('the url provider refuses a workload larger than the server allows, before creating anything; so does a too small --pg-setting', async () => {
    const url = inject('pgUrl');
    // other test files share this server and create and drop their own databases meanwhile:
    // count only scratch databases this process owns
    const databases = async () => (await listScratchDatabases(url)).filter((d) => d.owner.pid === process.pid).length;
    const before = await databases();
    const need = { total: 5000, text: '5000 connections (4990 app clients, 0 background transactions, 10 for the tool)' };
    const err = await provision({ provider: 'url', databaseUrl: url, connections: need }, silentLogger).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RehearseError);
    expect((err as RehearseError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(
      /^the workload needs 5000 connections \(4990 app clients.*\), but the server at 127\.0\.0\.1:\d+ allows \d+ \(max_connections \d+, \d+ reserved, \d+ in use\)$/,
    );
    expect(await databases()).toBe(before);

    const small = await provision(
      { provider: 'embedded', settings: { max_connections: '100' }, connections: { total: 612, text: '612 connections' } },
      silentLogger,
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect((small as RehearseError).exitCode).toBe(2);
    expect((small as Error).message).toBe('the workload needs 612 connections, more than --pg-setting max_connections=100 allows');
  });
});

describe('worker threads', () => {
  it('how many: none for fewer than 8 clients or on 2 cores (which the server shares), else one per 4 clients up to the cores, at most 8', () => {
    const apps = (clients: number) => parseWorkload(`apps:\n  a:\n    clients: ${clients}\n    queries: [{ name: q, sql: SELECT 1 }]\n`, 'a.yaml').apps;
    expect(autoThreads(apps(7), 16)).toBe(0);
    expect(autoThreads(apps(600), 2)).toBe(0);
    expect(autoThreads(apps(12), 4)).toBe(3);
    expect(autoThreads(apps(64), 4)).toBe(4);
    expect(autoThreads(apps(600), 32)).toBe(8);
  });

  it('split every app over the shards; small apps on fewer', () => {
    const plan = planShards(twoBigApps.apps, 3);
    expect(plan.map((s) => s.map((a) => `${a.spec.name}:${a.clients}@${a.slot}/${a.of}`))).toEqual([
      ['old:100@0/3', 'new:100@0/3'],
      ['old:100@1/3', 'new:100@1/3'],
      ['old:100@2/3', 'new:100@2/3'],
    ]);
    const small = parseWorkload(
      'apps:\n  a:\n    clients: 1\n    queries: [{ name: q, sql: SELECT 1 }]\n  b:\n    clients: 3\n    queries: [{ name: q, sql: SELECT 1 }]\n',
      's.yaml',
    );
    expect(planShards(small.apps, 2).map((s) => s.map((a) => `${a.spec.name}:${a.clients}`))).toEqual([['a:1', 'b:1'], ['b:2']]);
  });

  it('measurements from several workers are applied in completion-time order, up to what every worker has reported', () => {
    const seen: [number, number, string][] = [];
    const merger = new BatchMerger(2, {
      record: (_a, _q, _p, endedAt, ms, outcome: Outcome) => seen.push([endedAt, ms, outcome.ok ? 'ok' : outcome.sqlstate!]),
      dropped: () => undefined,
    });
    const batch = (upTo: number, records: [number, number, number][]): RecordBatch => ({
      type: 'records',
      upTo,
      data: new Float64Array(records.flatMap(([endedAt, ms, failure]) => [0, 0, 0, endedAt, ms, failure])),
      failures: [['0A000', 'cached plan must not change result type']],
      dropped: [],
    });
    merger.push(
      0,
      batch(30, [
        [10, 1, -1],
        [25, 2, 0],
      ]),
    );
    expect(seen).toEqual([]); // worker 1 has not reported: it may still hold earlier ones
    merger.push(
      1,
      batch(20, [
        [5, 3, -1],
        [18, 4, -1],
      ]),
    );
    expect(seen.map((s) => s[0])).toEqual([5, 10, 18]);
    merger.finish(1);
    expect(seen).toEqual([
      [5, 3, 'ok'],
      [10, 1, 'ok'],
      [18, 4, 'ok'],
      [25, 2, '0A000'],
    ]);
  });
});
