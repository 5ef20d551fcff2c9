/**
 * Reports for the renderer, budget and compare tests, without a server:
 * - example.json: a real `rehearse run --example --rollback` report (bundled shop, 50k orders);
 * - trafficReport(): the same with hand-made traffic fields (issue 3's names): workload, blocking,
 *   per-statement blocking, the compatibility matrix of the expand/contract rename;
 * - largeReport(n): n statements with long SQL, a big diff and many waits, for size limits.
 */
import fs from 'node:fs';
import type { BlockingEntry } from '../../src/analyze/index.ts';
import type { PhaseLatency, QueryResult } from '../../src/traffic/types.ts';
import type { Report } from '../../src/report/model/types.ts';

/** Hand-made figures filled out to the report's full shapes. */
const phase = (name: string, count: number, p99Ms: number): PhaseLatency => ({
  phase: name,
  count,
  ok: count,
  errors: {},
  timeouts: 0,
  p50Ms: p99Ms / 2,
  p95Ms: p99Ms,
  p99Ms,
  maxMs: p99Ms,
  meanMs: p99Ms / 2,
});
const query = (q: Pick<QueryResult, 'name' | 'count' | 'errors' | 'p50Ms' | 'p95Ms' | 'p99Ms' | 'maxMs' | 'phases' | 'timeline'>): QueryResult => ({
  rate: null,
  dropped: 0,
  ok: q.count - Object.values(q.errors).reduce((a, b) => a + b, 0),
  timeouts: 0,
  meanMs: q.p50Ms,
  failures: [],
  ...q,
});
const blocked = (
  b: Pick<BlockingEntry, 'app' | 'query' | 'blockerKind' | 'migrationId' | 'statementIndex' | 'migrationRole' | 'rootBlocker' | 'waitMs' | 'startedAt'>,
): BlockingEntry => ({
  directBlocker: b.rootBlocker,
  endedAt: b.startedAt + b.waitMs,
  relation: 'orders',
  mode: 'AccessExclusiveLock',
  waitEvent: 'relation',
  pid: 4242,
  queryStart: b.startedAt,
  ...b,
});

const EXAMPLE = new URL('./example.json', import.meta.url);

export function exampleReport(): Report {
  return JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as Report;
}

type Stmt = Report['migrations'][number]['statements'][number];

export function statementOf(report: Report, id: string, index = 0): Stmt {
  const s = report.migrations.find((m) => m.id === id)?.statements[index];
  if (!s) throw new Error(`no statement ${id}#${index}`);
  return s;
}

/** The example with what a run under --workload would add. */
export function trafficReport(): Report {
  const r = exampleReport();
  const first = r.migrations[0]!.statements[0]!;
  const origin = Date.parse(first.startedAt) - first.offsetMs;
  const at = (id: string, index = 0, plusMs = 0) => Date.parse(statementOf(r, id, index).startedAt) + plusMs;

  Object.assign(statementOf(r, '003'), { blockedQueries: 14, maxBlockedMs: 290, totalBlockedMs: 2400 });
  Object.assign(statementOf(r, '009'), { blockedQueries: 3, maxBlockedMs: 1500, totalBlockedMs: 3200 });
  Object.assign(statementOf(r, '004'), { blockedQueries: 2, maxBlockedMs: 40, totalBlockedMs: 60 });

  // per-second buckets from 2 s before the first statement to 2 s after the last
  const buckets = (p99: (t: number) => number, errors: (t: number) => number) => {
    const out = [];
    for (let t = origin - 2000; t < origin + 4500; t += 1000) out.push({ t, count: 50, errors: errors(t), p99Ms: p99(t), maxMs: p99(t) * 1.3 });
    return out;
  };
  const during = (id: string) => (t: number) => t + 1000 > at(id) && t < at(id) + statementOf(r, id).lockHeldMs;
  r.workload = {
    file: 'fixtures/shop/workloads/shop.yaml',
    startedAt: origin - 2000,
    endedAt: origin + 4500,
    sampler: { samples: 650, meanIntervalMs: 10, maxIntervalMs: 14, errors: 0 },
    phases: [],
    background: [],
    apps: [
      {
        name: 'old',
        role: 'old',
        clients: 4,
        queries: [
          query({
            name: 'get_order',
            count: 3250,
            errors: {},
            p50Ms: 1.2,
            p95Ms: 3.4,
            p99Ms: 310,
            maxMs: 1520,
            phases: [phase('baseline', 100, 2.5), phase('003#0', 15, 310), phase('009#0', 80, 4.1), phase('after', 100, 2.7)],
            timeline: {
              bucketMs: 1000,
              buckets: buckets(
                (t) => (during('003')(t) ? 310 : 2.5),
                () => 0,
              ),
            },
          }),
          query({
            name: 'update_order',
            count: 800,
            errors: { '57014': 2 },
            p50Ms: 2.1,
            p95Ms: 5.2,
            p99Ms: 1510,
            maxMs: 1530,
            phases: [phase('baseline', 30, 4), phase('009#0', 25, 1510)],
            timeline: {
              bucketMs: 1000,
              buckets: buckets(
                (t) => (during('009')(t) ? 1510 : 4),
                (t) => (during('009')(t) ? 2 : 0),
              ),
            },
          }),
        ],
      },
      {
        name: 'new',
        role: 'new',
        clients: 4,
        queries: [
          query({
            name: 'get_order_v2',
            count: 3100,
            errors: { '42703': 40, EXPECT: 12 },
            p50Ms: 1.3,
            p95Ms: 3.9,
            p99Ms: 290,
            maxMs: 300,
            phases: [phase('baseline', 100, 0.9)],
            timeline: {
              bucketMs: 1000,
              buckets: buckets(
                (t) => (during('003')(t) ? 290 : 3),
                (t) => (t < at('008') ? 10 : 0),
              ),
            },
          }),
        ],
      },
    ],
  };
  r.blocking = [
    blocked({
      app: 'old',
      query: 'get_order',
      blockerKind: 'migration',
      migrationId: '003',
      statementIndex: 0,
      migrationRole: 'holds',
      rootBlocker: 'migration 003#0',
      waitMs: 290,
      startedAt: at('003', 0, 5),
    }),
    blocked({
      app: 'new',
      query: 'get_order_v2',
      blockerKind: 'migration',
      migrationId: '003',
      statementIndex: 0,
      migrationRole: 'holds',
      rootBlocker: 'migration 003#0',
      waitMs: 280,
      startedAt: at('003', 0, 12),
    }),
    blocked({
      app: 'old',
      query: 'get_order',
      blockerKind: 'migration',
      migrationId: '004',
      statementIndex: 0,
      migrationRole: 'holds',
      rootBlocker: 'migration 004#0',
      waitMs: 40,
      startedAt: at('004', 0, 3),
    }),
    blocked({
      app: 'old',
      query: 'update_order',
      blockerKind: 'migration',
      migrationId: '009',
      statementIndex: 0,
      migrationRole: 'holds',
      rootBlocker: 'migration 009#0',
      waitMs: 1500,
      startedAt: at('009', 0, 20),
    }),
    blocked({
      app: 'old',
      query: 'update_order',
      blockerKind: 'migration',
      migrationId: '009',
      statementIndex: 0,
      migrationRole: 'holds',
      rootBlocker: 'migration 009#0',
      waitMs: 900,
      startedAt: at('009', 0, 400),
    }),
    blocked({
      app: 'migration',
      query: '008#0',
      blockerKind: 'app',
      migrationId: '008',
      statementIndex: 0,
      migrationRole: 'waits',
      rootBlocker: 'old/nightly_report',
      waitMs: 120,
      startedAt: at('008', 0),
    }),
  ];
  const states = ['initial', ...r.migrations.map((m) => m.id)];
  const newFails = (s: string) => s < '008' || s === 'initial';
  r.compatibility = {
    states,
    apps: [
      { name: 'old', role: 'old' },
      { name: 'new', role: 'new' },
    ],
    cells: states.flatMap((state) => [
      state === '012'
        ? { state, app: 'old', ok: false, failures: [{ query: 'get_order', sqlstate: '42703', message: 'column "total" does not exist' }] }
        : { state, app: 'old', ok: true, failures: [] },
      newFails(state)
        ? { state, app: 'new', ok: false, failures: [{ query: 'get_order_v2', sqlstate: '42703', message: 'column "total_cents" does not exist' }] }
        : state === '008'
          ? {
              state,
              app: 'new',
              ok: false,
              failures: [{ query: 'get_order_v2', sqlstate: 'EXPECT', message: 'total_cents is NULL in 1 row (expected not null)' }],
            }
          : { state, app: 'new', ok: true, failures: [] },
    ]),
    oldAppLastState: '011',
    newAppFirstState: '009',
    rollout: {
      safe: true,
      beforeDeploy: ['001', '002', '003', '004', '005', '006', '007', '008', '009'],
      whileBoth: ['010', '011'],
      afterOldGone: ['012'],
      breaksBoth: [],
      summary: 'Run 001–009 before deploying the new app; 010, 011 can run while both versions run; run 012 only after the old app is gone.',
    },
  };
  delete r.budgets;
  delete r.verdict;
  return r;
}

/** n statements over n/5 migrations, long SQL, a big diff, many waits and queries. */
export function largeReport(n = 300): Report {
  const base = trafficReport();
  const template = statementOf(base, '003');
  const migrations: Report['migrations'] = [];
  const t0 = Date.parse(template.startedAt);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const mi = Math.floor(i / 5);
    const id = String(mi + 1).padStart(4, '0');
    if (i % 5 === 0)
      migrations.push({
        id,
        name: `change_number_${mi + 1}_with_a_rather_long_descriptive_name`,
        file: `db/migrations/${id}_change.up.sql`,
        status: 'applied',
        startedAt: new Date(t0 + offset).toISOString(),
        durationMs: 0,
        statements: [],
      });
    const m = migrations.at(-1)!;
    const sql = `ALTER TABLE orders_archive_${i} ADD COLUMN customer_reference_number_${i} text NOT NULL DEFAULT 'unknown', ADD CONSTRAINT orders_archive_${i}_ref_check CHECK (length(customer_reference_number_${i}) < 200) -- ${'x'.repeat(120)}`;
    const duration = 10 + (i % 17) * 3;
    m.statements.push({
      ...template,
      index: m.statements.length,
      sql,
      file: m.file,
      line: 1 + m.statements.length * 3,
      startedAt: new Date(t0 + offset).toISOString(),
      endedAt: new Date(t0 + offset + duration).toISOString(),
      offsetMs: offset,
      durationMs: duration,
      lockHeldMs: duration + 2,
      locks: [{ relation: `orders_archive_${i}`, mode: 'AccessExclusiveLock', relkind: 'r' }],
      strongestLocks: [{ relation: `orders_archive_${i}`, mode: 'AccessExclusiveLock' }],
      rewrites: i % 10 === 0 ? [{ relation: `orders_archive_${i}`, relkind: 'r', relfilenodeBefore: 1000 + i, relfilenodeAfter: 5000 + i }] : [],
      blockedQueries: 3,
      maxBlockedMs: 1200 + i,
      totalBlockedMs: 3000,
    });
    m.durationMs += duration;
    offset += duration + 1;
  }
  const r: Report = { ...base, migrations };
  r.summary = { ...r.summary, statements: n, applied: migrations.length };
  r.dataset = {
    ...r.dataset!,
    tables: Array.from({ length: n }, (_, i) => ({ name: `orders_archive_${i}`, rows: 200_000 + i, rowsEstimated: false, bytes: 1 << 24 })),
  };
  r.blocking = migrations.flatMap((m) =>
    m.statements.map((s) =>
      blocked({
        app: 'old',
        query: 'get_order',
        blockerKind: 'migration',
        migrationId: m.id,
        statementIndex: s.index,
        migrationRole: 'holds',
        rootBlocker: `migration ${m.id}#${s.index}`,
        waitMs: s.maxBlockedMs!,
        startedAt: Date.parse(s.startedAt) + 1,
      }),
    ),
  );
  r.schemaDiff = {
    added: Array.from({ length: 600 }, (_, i) => ({
      object: `column:public.orders_archive_${i % n}.customer_reference_number_${i}`,
      kind: 'column' as const,
      definition: `text NOT NULL DEFAULT 'unknown'::text`,
    })),
    removed: [],
    changed: [],
    columnOrderOnly: [],
  };
  const states = ['initial', ...migrations.map((m) => m.id)];
  r.compatibility = {
    states,
    apps: [
      { name: 'old', role: 'old' },
      { name: 'new', role: 'new' },
    ],
    cells: states.flatMap((state) => [
      { state, app: 'old', ok: true, failures: [] },
      {
        state,
        app: 'new',
        ok: state !== 'initial',
        failures: state === 'initial' ? [{ query: 'get_order_v2', sqlstate: '42703', message: 'column "x" does not exist' }] : [],
      },
    ]),
    oldAppLastState: states.at(-1)!,
    newAppFirstState: states[1]!,
    rollout: {
      safe: true,
      beforeDeploy: [states[1]!],
      whileBoth: states.slice(2),
      afterOldGone: [],
      breaksBoth: [],
      summary: `Run ${states[1]} before deploying the new app; ${states[2]}–${states.at(-1)} can run while both versions run; every migration is safe for the old app.`,
    },
  };
  r.rollback = null;
  return r;
}
