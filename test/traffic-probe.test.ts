import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '../src/migrations/index.ts';
import type { Migration } from '../src/migrations/index.ts';
import { replay } from '../src/replay/index.ts';
import { compatibilityMatrix, probeAll, readWorkload } from '../src/traffic/index.ts';
import type { ProbeResult, Workload } from '../src/traffic/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';

/** The shop schema with a few hundred rows (the example's shape, without the generator). */
async function shop(): Promise<string> {
  const url = await freshDatabase('probe');
  await sql(
    url,
    `${await readFile('fixtures/shop/schema.sql', 'utf8')};
     INSERT INTO users (email, name, created_at) SELECT 'u' || g || '@example.com', 'u' || g, now() FROM generate_series(1, 50) g;
     INSERT INTO products (sku, name, price_cents, stock) SELECT 'SKU-' || g, 'p' || g, 100 * g, 10 FROM generate_series(1, 10) g;
     INSERT INTO orders (user_id, status, total, created_at) SELECT 1 + g % 50, 'paid', g / 10.0, now() FROM generate_series(1, 300) g;
     INSERT INTO order_items (order_id, product_id, quantity, price_cents) SELECT 1 + g % 300, 1 + g % 10, 1 + g % 3, 100 FROM generate_series(1, 600) g;
     ANALYZE;`,
  );
  return url;
}

/** Probe before the first migration and after each one (as the rehearsal will). */
async function probeEachState(url: string, workload: Workload, migrations: Migration[]) {
  const states = ['initial'];
  const probes = new Map<string, ProbeResult[]>([['initial', await probeAll(url, workload)]]);
  for (const m of migrations) {
    const result = await replay({ url, migrations: [m], log: silentLogger });
    expect(result.ok, `migration ${m.id}`).toBe(true);
    states.push(m.id);
    probes.set(m.id, await probeAll(url, workload));
  }
  return compatibilityMatrix(states, probes, workload.apps);
}

const failuresOf = (m: ReturnType<typeof compatibilityMatrix>, app: string) =>
  Object.fromEntries(m.cells.filter((c) => c.app === app).map((c) => [c.state, c.failures.map((f) => `${f.query}:${f.sqlstate}`).join(' ') || 'ok']));

describe('probes and the compatibility matrix on the shop example', () => {
  it('probes run every query once and change no data; a missing column is 42703', async () => {
    const url = await shop();
    const workload = await readWorkload('fixtures/shop/workloads/shop.yaml');
    const before = await sql(url, 'SELECT count(*)::int AS n, max(id) AS max FROM orders');
    const results = await probeAll(url, workload);
    expect(await sql(url, 'SELECT count(*)::int AS n, max(id) AS max FROM orders')).toEqual(before);
    expect(results.map((r) => `${r.app}/${r.query}:${r.ok ? 'ok' : r.sqlstate}`)).toEqual([
      'old/get_order:ok',
      'old/list_orders:ok',
      'old/place_order:ok',
      'new/get_order:42703',
      'new/list_orders:42703',
      'new/place_order:42703',
    ]);
    const failed = results.find((r) => !r.ok)!;
    expect(failed).toMatchObject({ message: 'column "total_cents" does not exist' });
  });

  it('expand/contract: the old app passes up to the contract, the new one from the backfill on (semantic failure at the expand)', async () => {
    const url = await shop();
    const workload = await readWorkload('fixtures/shop/workloads/shop.yaml');
    const { migrations } = await readMigrations('fixtures/shop/migrations', {});
    const m = await probeEachState(url, workload, migrations);

    expect(m.states).toEqual(['initial', '001', '002', '003', '004', '005', '006', '007', '008', '009', '010', '011', '012']);
    expect(m.oldAppLastState).toBe('011');
    expect(m.newAppFirstState).toBe('009');
    expect(failuresOf(m, 'old')['012']).toBe('get_order:42703 list_orders:42703 place_order:42703');
    // 008 added total_cents but did not fill it: the new app's reads find NULL — a semantic failure
    expect(failuresOf(m, 'new')['008']).toBe('get_order:EXPECT list_orders:EXPECT');
    const expectFailure = m.cells.find((c) => c.state === '008' && c.app === 'new')!.failures[0]!;
    expect(expectFailure.message).toBe('expected total_cents not null, got NULL in 1 of 1 rows');
    expect(m.rollout).toMatchObject({
      safe: true,
      beforeDeploy: ['001', '002', '003', '004', '005', '006', '007', '008', '009'],
      whileBoth: ['010', '011'],
      afterOldGone: ['012'],
    });
    expect(m.rollout!.summary).toBe(
      'Run 001–009 before deploying the new app; 010, 011 can run while both versions run; run 012 only after the old app is gone.',
    );
  });

  it('a naive RENAME COLUMN: old-app probes fail with 42703 from that state on, and no order is safe', async () => {
    const url = await shop();
    const workload = await readWorkload('fixtures/shop/workloads/shop.yaml');
    const { migrations } = await readMigrations('fixtures/shop/migrations-naive-rename', {});
    const m = await probeEachState(url, workload, migrations);
    expect(failuresOf(m, 'old')).toEqual({ initial: 'ok', '001': 'get_order:42703 list_orders:42703 place_order:42703' });
    expect(failuresOf(m, 'new')['001']).toBe('ok');
    expect(m.oldAppLastState).toBe('initial');
    expect(m.newAppFirstState).toBe('001');
    expect(m.rollout).toMatchObject({ safe: false, breaksBoth: ['001'] });
    expect(m.rollout!.summary).toMatch(/^No safe order: migration 001 breaks the old app and the new app needs it/);
  });
});
