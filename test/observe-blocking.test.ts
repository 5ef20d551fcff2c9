import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { startSampler } from '../src/observe/index.ts';
import { attributeBlocking } from '../src/analyze/index.ts';
import { replay } from '../src/replay/index.ts';
import { parseWorkload, startTraffic } from '../src/traffic/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { migrationOf } from './helpers/migrations.ts';

/**
 * Acceptance of issue 3 for the sampler and the attribution, against a real server with known
 * ground truth. Timing bounds are those of the issue (±10 % of 2000 ms) where it sets them, and
 * checked against the replay's own statement times besides.
 */

const now = () => performance.timeOrigin + performance.now();

async function database(): Promise<string> {
  const url = await freshDatabase('observe');
  await sql(
    url,
    `CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, status text NOT NULL, total numeric(12,2) NOT NULL);
     INSERT INTO orders SELECT g, 1 + g % 500, 'paid', g / 100.0 FROM generate_series(1, 5000) g;
     CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, 100) g;
     ANALYZE;`,
  );
  return url;
}

const OLD_APP = `
apps:
  old:
    clients: 4
    queries:
      - name: get_order
        sql: SELECT id, status, total FROM orders WHERE id = $1
        params: [{ int: [1, 5000] }]
        rate: 40
      - name: get_product
        sql: SELECT id, name FROM products WHERE id = $1
        params: [{ int: [1, 100] }]
        rate: 40
`;

describe('blocking, attributed (issue 3 acceptance)', () => {
  let url: string;
  beforeAll(async () => {
    url = await database();
  });

  it('LOCK TABLE + pg_sleep(2) in a migration: the longest wait of the point selects is 2000 ms ± 10 %, on that LOCK statement; an unrelated table shows none', async () => {
    const sampler = await startSampler(url, { sampleMs: 10 });
    const traffic = await startTraffic(url, parseWorkload(OLD_APP, 'shop.yaml'), { log: silentLogger });
    await sleep(400);
    traffic.markPhase('001#0');
    const result = await replay({
      url,
      migrations: [migrationOf('001', ['LOCK TABLE orders IN ACCESS EXCLUSIVE MODE', 'SELECT pg_sleep(2)'])],
      log: silentLogger,
    });
    traffic.markPhase('after');
    await sleep(400);
    const [load, intervals] = await Promise.all([traffic.stop(), sampler.stop()]);
    expect(result.ok).toBe(true);
    const lock = result.migrations[0]!.statements[0]!;

    const { entries, statements } = attributeBlocking(intervals, result.migrations);
    const selects = entries.filter((e) => e.app === 'old' && e.query === 'get_order');
    expect(selects.length).toBeGreaterThanOrEqual(1);
    for (const e of selects) {
      expect(e).toMatchObject({
        blockerKind: 'migration',
        migrationId: '001',
        statementIndex: 0,
        migrationRole: 'holds',
        rootBlocker: 'migration 001#0',
        relation: 'orders',
        mode: 'AccessShareLock',
      });
    }
    const longest = Math.max(...selects.map((e) => e.waitMs));
    expect(longest).toBeGreaterThanOrEqual(1800);
    expect(longest).toBeLessThanOrEqual(2200);
    // and against what the replay measured: the lock was held lockHeldMs
    expect(Math.abs(longest - lock.lockHeldMs)).toBeLessThanOrEqual(lock.lockHeldMs * 0.1);
    expect(entries.filter((e) => e.query === 'get_product')).toEqual([]);

    const perStatement = statements.find((s) => s.migrationId === '001' && s.statementIndex === 0)!;
    expect(perStatement).toMatchObject({ blockedQueries: selects.length, maxBlockedMs: longest, queries: ['old/get_order'] });
    expect(statements.find((s) => s.statementIndex === 1)!.blockedQueries).toBe(0);

    // what the app saw: latency during the LOCK phase, none of it on products
    const q = load.apps[0]!.queries;
    const getOrder = q.find((x) => x.name === 'get_order')!;
    expect(getOrder.maxMs).toBeGreaterThanOrEqual(1800);
    expect(getOrder.phases.find((p) => p.phase === '001#0')!.maxMs).toBeGreaterThanOrEqual(1800);
    expect(getOrder.phases.find((p) => p.phase === 'baseline')!.maxMs).toBeLessThan(1000);
    expect(getOrder.errors).toEqual({});
    // (get_product is not blocked, but its latency shows the wait for a pool connection: the
    // app's 4 connections were all stuck in get_order — as in a real app sharing one pool)
    expect(sampler.stats().samples).toBeGreaterThan(50);
  });

  it('the lock queue: an ALTER behind a 3 s reader waits ≈ 2.5 s, the selects queued behind it too, rooted at the reader', async () => {
    const workload = parseWorkload(
      OLD_APP +
        `
background:
  - name: long_report
    app: old
    sql: SELECT pg_sleep(3), count(*) FROM orders
    at: 100ms
`,
      'shop.yaml',
    );
    const sampler = await startSampler(url, { sampleMs: 10 });
    const traffic = await startTraffic(url, workload, { log: silentLogger });
    await sleep(Math.max(0, traffic.startedAt + 600 - now()));
    traffic.markPhase('002#0');
    const result = await replay({ url, migrations: [migrationOf('002', ['ALTER TABLE orders ADD COLUMN note text'])], log: silentLogger });
    traffic.markPhase('after');
    await sleep(300);
    const [load, intervals] = await Promise.all([traffic.stop(), sampler.stop()]);
    expect(result.ok).toBe(true);
    const alter = result.migrations[0]!.statements[0]!;
    const bg = load.background[0]!;
    expect(bg.ok).toBe(true);
    const truth = bg.endedAt! - alter.startedAt; // the ALTER could run once the reader committed

    const { entries, statements } = attributeBlocking(intervals, result.migrations);
    const own = entries.filter((e) => e.app === 'migration');
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({
      query: '002#0',
      blockerKind: 'app',
      rootBlocker: 'old/long_report',
      migrationId: '002',
      statementIndex: 0,
      migrationRole: 'waits',
      mode: 'AccessExclusiveLock',
      relation: 'orders',
    });
    expect(Math.abs(own[0]!.waitMs - truth)).toBeLessThanOrEqual(truth * 0.1);
    expect(own[0]!.waitMs).toBeGreaterThan(2000);
    expect(own[0]!.waitMs).toBeLessThan(3000);

    // queued behind the waiting ALTER: rooted at the reader; then, if a sample fell in the moment the
    // ALTER held its lock before committing, briefly blocked by the migration itself
    const selects = entries.filter((e) => e.app === 'old' && e.query === 'get_order');
    const queued = selects.filter((e) => e.rootBlocker === 'old/long_report');
    expect(queued.length).toBeGreaterThanOrEqual(1);
    for (const e of queued)
      expect(e).toMatchObject({ blockerKind: 'app', directBlocker: 'migration 002#0', migrationId: '002', statementIndex: 0, migrationRole: 'queued' });
    for (const e of selects.filter((e) => e.rootBlocker !== 'old/long_report')) {
      expect(e).toMatchObject({ blockerKind: 'migration', rootBlocker: 'migration 002#0', migrationRole: 'holds' });
      expect(e.waitMs).toBeLessThan(500);
    }
    const longest = Math.max(...queued.map((e) => e.waitMs));
    expect(longest).toBeGreaterThan(2000);
    expect(longest).toBeLessThanOrEqual(own[0]!.waitMs + 200);
    expect(Math.abs(longest - truth)).toBeLessThanOrEqual(truth * 0.1);
    expect(entries.filter((e) => e.query === 'get_product')).toEqual([]);
    const perStatement = statements[0]!;
    expect(perStatement).toMatchObject({ migrationId: '002', statementIndex: 0, lockWaitMs: own[0]!.waitMs, queries: ['old/get_order'] });
    expect(perStatement.maxBlockedMs).toBeGreaterThanOrEqual(longest);
    expect(perStatement.blockedQueries).toBe(new Set(selects.map((e) => `${e.pid}:${e.queryStart}`)).size);
  });
});
