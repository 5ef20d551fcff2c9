import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse } from '../src/rehearsal.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { silentLogger } from '../src/core/log.ts';
import { filesIn, planOn } from './helpers/plan.ts';

const shop = (migrations: string) => ({
  ...planOn(path.resolve('fixtures/shop', migrations)),
  load: { kind: 'fixture' as const, name: 'shop', scale: 2000, seed: 7 },
  traffic: { workload: path.resolve('fixtures/shop/workloads/shop.yaml'), sampleMs: 10, warmupMs: 1000, cooldownMs: 500 },
});

describe('rehearse with a workload', () => {
  it('the expand/contract example: latency, the lock queue behind the nightly report, the matrix and the rollout; the rollback under the same traffic', async () => {
    const { report, exitCode } = await rehearse({ ...shop('migrations'), inspect: { rollback: true, checkDrift: false } }, silentLogger);
    ReportSchema.parse(report);
    expect(exitCode).toBe(0);
    const m = report.compatibility!;
    expect(m.states).toEqual(['initial', '001', '002', '003', '004', '005', '006', '007', '008', '009', '010', '011', '012']);
    expect(m.oldAppLastState).toBe('011');
    expect(m.newAppFirstState).toBe('009'); // at 008 total_cents exists but is NULL: a semantic failure
    expect(m.cells.find((c) => c.app === 'new' && c.state === '008')!.failures[0]).toMatchObject({ sqlstate: 'EXPECT' });
    expect(m.rollout).toMatchObject({ safe: true, afterOldGone: ['012'] });

    const old = report.workload!.apps.find((a) => a.name === 'old')!;
    expect(old.queries.map((q) => q.name)).toEqual(['get_order', 'list_orders', 'place_order']);
    expect(old.queries[0]!.count).toBeGreaterThan(20);
    expect(old.queries[0]!.phases.map((p) => p.phase)).toContain('baseline');

    // whatever statement the nightly report's transaction held up, the reads behind it are
    // attributed to the report as root and to that statement as the one they queued behind
    const queued = report.blocking.filter((b) => b.app !== 'migration' && b.rootBlocker === 'old/nightly_report' && b.migrationId !== null);
    for (const b of queued) expect(b).toMatchObject({ blockerKind: 'app', migrationRole: 'queued' });
    const statements = report.migrations.flatMap((mig) => mig.statements);
    expect(statements.every((s) => typeof s.blockedQueries === 'number')).toBe(true);

    // the downs ran while the apps ran: their own phases, their own blocking figures
    expect(report.rollback!.restored).toBe(true);
    expect(report.workload!.phases.map((p) => p.name)).toContain('012:down#0');
    expect(report.rollback!.migrations.flatMap((mig) => mig.statements).every((s) => typeof s.blockedQueries === 'number')).toBe(true);
  });

  it('the naive rename breaks the old app from its state on, and no rollout is safe', async () => {
    const { report } = await rehearse(shop('migrations-naive-rename'), silentLogger);
    ReportSchema.parse(report);
    const m = report.compatibility!;
    const oldAt001 = m.cells.find((c) => c.app === 'old' && c.state === '001')!;
    expect(oldAt001.ok).toBe(false);
    expect(oldAt001.failures.map((f) => f.sqlstate)).toContain('42703');
    expect(m.cells.find((c) => c.app === 'old' && c.state === 'initial')!.ok).toBe(true);
    expect(m.rollout).toMatchObject({ safe: false, breaksBoth: ['001'] });
  });
});

describe('lock_timeout rehearsal under traffic', () => {
  it('a waiting ALTER that times out and retries keeps the queued reads under 400 ms, attempts listed', async () => {
    const dump = path.join(
      filesIn({
        'orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);\nINSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g;\n',
      }),
      'orders.sql',
    );
    const dir = filesIn({
      '001_wait.sql': 'SELECT pg_sleep(1);\n',
      '002_add_column.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
    });
    const workload = path.join(
      filesIn({
        'w.yaml': [
          'apps:',
          '  old:',
          '    clients: 4',
          '    queries:',
          '      - name: get_order',
          '        sql: SELECT id, total FROM orders WHERE id = $1',
          '        params: [{ int: [1, 1000] }]',
          '        rate: 40',
          'background:',
          '  - name: long_report',
          '    app: old',
          '    at: 0.5s',
          '    transaction:',
          '      - sql: SELECT count(*) FROM orders',
          '      - sql: SELECT pg_sleep(3)',
        ].join('\n'),
      }),
      'w.yaml',
    );
    const { report, exitCode } = await rehearse(
      {
        ...planOn(dir),
        load: { kind: 'dump', path: dump },
        traffic: { workload, sampleMs: 10, warmupMs: 500, cooldownMs: 500 },
        timeouts: { lockTimeoutMs: 200, retries: 30, retryBackoffMs: 300 },
      },
      silentLogger,
    );
    ReportSchema.parse(report);
    expect(exitCode).toBe(0);
    const alter = report.migrations[1]!.statements[0]!;
    expect(alter.attempts).toBeGreaterThanOrEqual(2);
    expect(alter.failedAttempts!.every((a) => a.sqlstate === '55P03')).toBe(true);
    const reads = report.blocking.filter((b) => b.app === 'old' && b.query === 'get_order');
    expect(reads.length).toBeGreaterThan(0); // the reads did queue behind the waiting ALTER…
    expect(Math.max(...reads.map((b) => b.waitMs))).toBeLessThan(400); // …but never for long
  });
});
