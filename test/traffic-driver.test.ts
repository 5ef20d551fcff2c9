import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { parseWorkload, startTraffic } from '../src/traffic/index.ts';
import { loadSamples, SampleError } from '../src/traffic/params.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';

let url: string;

beforeAll(async () => {
  url = await freshDatabase('traffic');
  await sql(
    url,
    `CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, status text NOT NULL, total numeric(12,2) NOT NULL, total_cents bigint);
     INSERT INTO orders SELECT g, 1 + g % 500, 'paid', g / 100.0, NULL FROM generate_series(1, 5000) g;
     ANALYZE;`,
  );
});

describe('startTraffic', () => {
  it('runs open- and closed-loop queries per app, tagged per query, with per-phase latency and expectation failures', async () => {
    const workload = parseWorkload(
      `
apps:
  old:
    clients: 3
    queries:
      - name: get_order
        sql: SELECT id, status, total FROM orders WHERE id = $1
        params: [{ int: [1, 5000] }]
        rate: 50
        expect: { rows: 1 }
      - name: by_user
        sql: SELECT id, total FROM orders WHERE user_id = $1 ORDER BY id LIMIT 20
        params: [{ sample: orders.user_id }]
        rate: 20
  new:
    clients: 2
    queries:
      - name: get_order_v2
        sql: SELECT id, status, total_cents FROM orders WHERE id = $1
        params: [{ sample: orders.id }]
        expect: { rows: ">=1", notNull: [total_cents] }
background:
  - name: report
    app: old
    sql: SELECT pg_sleep(0.3), count(*) FROM orders
    at: 200ms
`,
      'w.yaml',
    );
    const run = await startTraffic(url, workload, { log: silentLogger });
    await sleep(300);
    const names = (
      await sql<{ application_name: string }>(
        url,
        "SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'rehearse/app/%'",
      )
    ).map((r) => r.application_name);
    run.markPhase('001#0');
    await sleep(400);
    run.markPhase('after');
    await sleep(300);
    const result = await run.stop();

    expect(names).toEqual(expect.arrayContaining(['rehearse/app/old/get_order', 'rehearse/app/old/report']));
    expect(result.phases.map((p) => p.name)).toEqual(['baseline', '001#0', 'after']);
    const [old, neu] = result.apps;
    expect(old!.role).toBe('old');
    const getOrder = old!.queries.find((q) => q.name === 'get_order')!;
    const elapsed = (result.endedAt - result.startedAt) / 1000;
    // open loop at 50/s: the count follows the clock (generous for a loaded machine)
    expect(getOrder.count).toBeGreaterThanOrEqual(Math.floor(50 * elapsed * 0.6));
    expect(getOrder.count).toBeLessThanOrEqual(Math.ceil(50 * elapsed) + 1);
    expect(getOrder.errors).toEqual({});
    expect(getOrder.ok).toBe(getOrder.count);
    expect(getOrder.p50Ms).toBeGreaterThan(0);
    expect(getOrder.p99Ms).toBeGreaterThanOrEqual(getOrder.p50Ms!);
    expect(getOrder.maxMs).toBeGreaterThanOrEqual(getOrder.p99Ms! * 0.99);
    expect(getOrder.phases.map((p) => p.phase)).toEqual(['baseline', '001#0', 'after']);
    expect(getOrder.phases.reduce((n, p) => n + p.count, 0)).toBe(getOrder.count);
    expect(getOrder.timeline.bucketMs).toBe(1000);
    expect(getOrder.timeline.buckets.reduce((n, b) => n + b.count, 0)).toBe(getOrder.count);
    expect(old!.queries.find((q) => q.name === 'by_user')!.errors).toEqual({});

    // closed loop, and every execution fails its expectation: total_cents is not backfilled
    const v2 = neu!.queries[0]!;
    expect(v2.rate).toBeNull();
    expect(v2.count).toBeGreaterThan(50);
    expect(v2.errors).toEqual({ EXPECT: v2.count });
    expect(v2.failures).toEqual([{ sqlstate: 'EXPECT', message: 'expected total_cents not null, got NULL in 1 of 1 rows', count: v2.count }]);

    const [bg] = result.background;
    expect(bg).toMatchObject({ name: 'report', app: 'old', ok: true, atMs: 200 });
    expect(bg!.startedAt! - result.startedAt).toBeGreaterThanOrEqual(199);
    expect(bg!.startedAt! - result.startedAt).toBeLessThan(600);
    expect(bg!.durationMs).toBeGreaterThanOrEqual(300);
  });

  it('errors count by SQLSTATE; stop cancels what is still running after drainMs', async () => {
    const workload = parseWorkload(
      `
apps:
  app:
    clients: 2
    queries:
      - { name: missing, sql: SELECT nope FROM orders LIMIT 1, rate: 20 }
      - { name: slow, sql: SELECT pg_sleep(30) }
`,
      'w.yaml',
    );
    const run = await startTraffic(url, workload, { log: silentLogger, drainMs: 300 });
    await sleep(500);
    const started = Date.now();
    const result = await run.stop();
    expect(Date.now() - started).toBeLessThan(10_000);
    const [missing, slow] = result.apps[0]!.queries;
    expect(Object.keys(missing!.errors)).toEqual(['42703']);
    expect(missing!.failures[0]!.message).toMatch(/column "nope" does not exist/);
    expect(slow!.errors).toEqual({ '57014': expect.any(Number) });
    expect(slow!.timeouts).toBe(slow!.count);
    // every connection closed (a backend may take a moment to exit after its client left)
    const left = async () => sql(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'rehearse/app/%'");
    for (let i = 0; i < 20 && (await left()).length > 0; i++) await sleep(100);
    expect(await left()).toEqual([]);
  });

  it('a transaction of several steps shares its vars and rolls back on a failed expectation', async () => {
    await sql(url, 'CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counters SELECT g, 0 FROM generate_series(1, 3) g');
    const workload = parseWorkload(
      `
apps:
  app:
    clients: 1
    queries:
      - name: bump
        vars: { c: { int: [1, 3] } }
        transaction:
          - { sql: "UPDATE counters SET n = n + 1 WHERE id = $1", params: [{ var: c }] }
          - { sql: "SELECT n FROM counters WHERE id = $1 AND n < 0", params: [{ var: c }], expect: { rows: 1 } }
`,
      'w.yaml',
    );
    const run = await startTraffic(url, workload, { log: silentLogger });
    await sleep(300);
    const result = await run.stop();
    const bump = result.apps[0]!.queries[0]!;
    expect(bump.count).toBeGreaterThan(5);
    expect(bump.errors).toEqual({ EXPECT: bump.count });
    expect(await sql(url, 'SELECT sum(n)::int AS n FROM counters')).toEqual([{ n: 0 }]);
  });

  it('samples existing values: TABLESAMPLE on a big table, ORDER BY random() on a small one, an error value for a missing column', async () => {
    await sql(url, 'CREATE TABLE big (id int PRIMARY KEY); INSERT INTO big SELECT generate_series(1, 50000); ANALYZE big');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const spec = (relation: string, column: string) => ({ kind: 'sample' as const, relation, column, key: `${relation}.${column}` });
      const samples = await loadSamples(client, [spec('big', 'id'), spec('public.orders', 'user_id'), spec('orders', 'nope'), spec('counters', 'id')], 100);
      const big = samples.get('big.id') as string[];
      expect(big).toHaveLength(100);
      expect(new Set(big).size).toBe(100);
      expect(big.every((v) => Number(v) >= 1 && Number(v) <= 50000)).toBe(true);
      expect((samples.get('public.orders.user_id') as string[]).length).toBe(100);
      const missing = samples.get('orders.nope');
      expect(missing).toBeInstanceOf(SampleError);
      expect(missing).toMatchObject({ sqlstate: '42703', message: 'sampling orders.nope: column "nope" does not exist' });
      await sql(url, 'TRUNCATE counters');
      expect((await loadSamples(client, [spec('counters', 'id')], 100)).get('counters.id')).toMatchObject({ sqlstate: 'SAMPLE' });
    } finally {
      await client.end();
    }
  });
});
