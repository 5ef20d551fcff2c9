import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rehearse } from '../src/rehearsal.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { compatibilityMatrix, parseWorkload, startTraffic, type ProbeResult } from '../src/traffic/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/**
 * Issue 13: named prepared statements break after ADD COLUMN under a SELECT * (0A000 "cached plan
 * must not change result type") until the connection prepares them again; connectionLifetime heals it.
 */
describe('prepared: true', () => {
  it('a prepared app fails with 0A000 after ADD COLUMN (errors, probes, matrix, rollout advice); the same app unprepared passes', async () => {
    const dump = path.join(
      filesIn({
        'orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);\nINSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g;\n',
      }),
      'orders.sql',
    );
    const dir = filesIn({ '001_add_column.sql': 'ALTER TABLE orders ADD COLUMN note text;\n' });
    const query = [
      '    queries:',
      '      - name: get_order',
      '        sql: SELECT * FROM orders WHERE id = $1',
      '        params: [{ int: [1, 1000] }]',
      '        rate: 100',
    ];
    const workload = path.join(
      filesIn({
        'w.yaml': ['apps:', '  old:', '    clients: 2', '    prepared: true', ...query, '  plain:', '    role: new', '    clients: 2', ...query].join('\n'),
      }),
      'w.yaml',
    );
    const { report, exitCode } = await rehearse(
      { ...planOn(dir), load: { kind: 'dump', path: dump }, traffic: { workload, sampleMs: 10, warmupMs: 500, cooldownMs: 700 } },
      silentLogger,
    );
    ReportSchema.parse(report);
    expect(report.run.error).toBeUndefined();
    expect(exitCode).toBe(0);

    // the app's errors: 0A000 once the column is added (executions issued earlier that waited
    // behind the ALTER's lock fail too), every execution after the migration
    const [old, plain] = report.workload!.apps;
    const get = old!.queries[0]!;
    expect(get.ok).toBeGreaterThan(0);
    expect(Object.keys(get.errors)).toEqual(['0A000']);
    const after = get.phases.find((p) => p.phase === 'after')!;
    expect(after.count).toBeGreaterThan(0);
    expect(after.errors).toEqual({ '0A000': after.count });
    expect(get.failures[0]).toMatchObject({ sqlstate: '0A000', message: 'cached plan must not change result type' });
    expect(plain!.queries[0]!.errors).toEqual({});
    expect(plain!.queries[0]!.count).toBeGreaterThan(50);

    // the matrix: ✗ at 001 with 0A000 for the prepared app, ✓ for the same queries unprepared
    const m = report.compatibility!;
    const cell = (app: string, state: string) => m.cells.find((c) => c.app === app && c.state === state)!;
    expect(cell('old', 'initial').ok).toBe(true);
    expect(cell('old', '001')).toMatchObject({ ok: false, failures: [{ query: 'get_order', sqlstate: '0A000' }] });
    expect(cell('plain', '001').ok).toBe(true);
    expect(m.oldAppLastState).toBe('initial');
    expect(m.rollout!.summary).toMatch(/Restart or re-prepare the old app's connections after 001: its prepared statements fail with 0A000/);
  });

  it('connectionLifetime recycles the connections: the 0A000 errors stop within about a second (worker threads)', async () => {
    const url = await freshDatabase('prepared');
    await sql(url, 'CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL); INSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g;');
    // closed loop: an execution runs in the phase it is issued in (no backlog on a busy machine)
    const app = (lifetime: string) => [
      `    clients: ${lifetime ? 1 : 2}`,
      '    prepared: true',
      ...(lifetime ? [`    connectionLifetime: ${lifetime}`] : []),
      '    queries:',
      '      - name: get_order',
      '        sql: SELECT * FROM orders WHERE id = $1',
      '        params: [{ int: [1, 1000] }]',
    ];
    const ticker = [
      '  ticker:',
      '    clients: 2',
      '    queries:',
      '      - name: tick',
      '        sql: SELECT total FROM orders WHERE id = $1',
      '        params: [{ int: [1, 1000] }]',
      '        rate: 100',
    ];
    const workload = parseWorkload(['apps:', '  pooled:', ...app('1s'), '  forever:', ...app(''), ...ticker].join('\n'), 'w.yaml');
    expect(workload.apps[0]!.connectionLifetimeMs).toBe(1000);
    const run = await startTraffic(url, workload, { log: silentLogger, threads: 2 });
    // add the column while the pooled app's connection has prepared its statement and is younger
    // than 600 ms: its next execution runs on the stale statement, and its recycling is due
    // within the second
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const ready = async () =>
      (
        await admin.query<{ ok: boolean }>(
          `SELECT count(*) = 1 AND bool_and(query LIKE 'SELECT * FROM orders%' AND backend_start > clock_timestamp() - interval '600 ms') AS ok
             FROM pg_stat_activity WHERE application_name LIKE 'rehearse/app/pooled%'`,
        )
      ).rows[0]!.ok;
    let waited = 0;
    while (!(await ready()) && waited++ < 500) await sleep(5);
    expect(waited).toBeLessThan(500);
    run.markPhase('001#0');
    await admin.query('ALTER TABLE orders ADD COLUMN note text');
    await admin.end();
    run.markPhase('broken');
    await sleep(1300);
    run.markPhase('healed');
    await sleep(1000);
    const result = await run.stop();

    const phase = (app: number, name: string) => result.apps[app]!.queries[0]!.phases.find((p) => p.phase === name)!;
    const broke = (app: number) => result.apps[app]!.queries[0]!.phases.reduce((n, p) => n + (p.errors['0A000'] ?? 0), 0);
    // an execution is counted in the phase it was issued in: the pooled app's one client may have
    // issued one just before the migration's phase began that reached the server only after the
    // ALTER (a stall on a loaded machine) — at most that one, never a baseline of errors
    expect([{}, { '0A000': 1 }]).toContainEqual(phase(0, 'baseline').errors);
    expect(broke(0)).toBeGreaterThan(0);
    expect(phase(0, 'healed').count).toBeGreaterThan(10);
    expect(phase(0, 'healed').errors).toEqual({});
    // without a lifetime the break lasts
    expect(phase(1, 'healed').errors).toEqual({ '0A000': phase(1, 'healed').count });

    // worker threads change nothing in the bookkeeping: open loop at 100/s, every execution in one phase and one bucket
    const tick = result.apps[2]!.queries[0]!;
    const elapsed = (result.endedAt - result.startedAt) / 1000;
    expect(tick.count).toBeLessThanOrEqual(Math.floor(100 * elapsed) + 1);
    expect(tick.count).toBeGreaterThanOrEqual(Math.floor(100 * elapsed * 0.6));
    expect(tick.errors).toEqual({});
    for (const { queries } of result.apps) {
      const q = queries[0]!;
      expect(q.phases.reduce((n, p) => n + p.count, 0)).toBe(q.count);
      expect(q.timeline.buckets.reduce((n, b) => n + b.count, 0)).toBe(q.count);
    }
  });

  it('the rollout treats a break that heals on reconnecting as healed, and says to re-prepare after it', () => {
    const ok = (app: string): ProbeResult => ({ app, query: 'q', ok: true, ms: 1 });
    const stale = (app: string): ProbeResult => ({
      app,
      query: 'q',
      ok: false,
      sqlstate: '0A000',
      message: 'cached plan must not change result type',
      ms: 1,
      healsOnReconnect: true,
    });
    const gone = (app: string): ProbeResult => ({ app, query: 'q', ok: false, sqlstate: '42703', message: 'column "x" does not exist', ms: 1 });
    const apps = [
      { name: 'old', role: 'old' as const },
      { name: 'new', role: 'new' as const },
    ];
    const states = ['initial', '001', '002'];
    const m = compatibilityMatrix(
      states,
      new Map([
        ['initial', [ok('old'), gone('new')]],
        ['001', [stale('old'), ok('new')]],
        ['002', [stale('old'), ok('new')]],
      ]),
      apps,
    );
    expect(m.oldAppLastState).toBe('initial'); // the cells say what the probes saw
    expect(m.cells.find((c) => c.app === 'old' && c.state === '001')).toMatchObject({ ok: false, failures: [{ sqlstate: '0A000' }] });
    expect(m.rollout).toMatchObject({ safe: true, beforeDeploy: ['001'], whileBoth: ['002'], afterOldGone: [] });
    expect(m.rollout!.summary).toBe(
      "Run 001 before deploying the new app; 002 can run while both versions run; every migration is safe for the old app. Restart or re-prepare the old app's connections after 001: its prepared statements fail with 0A000 (cached plan must not change result type) until its connections prepare them again (a pool's connection lifetime does it in time).",
    );
  });
});
