import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, type StatsFile, type TrafficStatement } from '../src/stats/index.ts';
import { bindStatement, chooseStatements, deriveWorkload, parseWorkload, workloadYaml } from '../src/traffic/index.ts';

/** The derivation of a workload from a statistics file (issue 20, item 2), without a server: the parse-tree binding rules. */

const tables: StatsFile['tables'] = {
  'public.items': {
    rows: 1000,
    columnTypes: { id: 'integer', name: 'text', qty: 'integer', code: 'character varying(4)' },
    indexes: {
      items_pkey: { columns: ['id'], unique: true },
      items_name_key: { columns: ['name'], unique: true },
      items_code_key: { columns: ['code'], unique: true },
    },
  },
  'public.events': {
    rows: 0,
    columnTypes: { id: 'uuid', item_id: 'integer', note: 'text', at: 'timestamp with time zone', ok: 'boolean' },
    indexes: { events_pkey: { columns: ['id'], unique: true } },
  },
  'shop.orders': {
    rows: 10,
    columnTypes: { id: 'bigint', user_id: 'integer' },
    indexes: { orders_pkey: { columns: ['id'], unique: true } },
    columns: { id: { histogramBounds: ['1', '9000000000000000'] } },
  },
};

const stmt = (text: string, extra: Partial<TrafficStatement> = {}): TrafficStatement => ({
  queryid: '1',
  text,
  calls: 10,
  callsPerSec: 1,
  rowsPerCall: 1,
  meanMs: 0.1,
  ...extra,
});
const bind = (text: string, extra: Partial<TrafficStatement> = {}) => bindStatement(stmt(text, extra), tables);

beforeAll(() => loadSqlParser());

describe('binding parameters from the parse tree', () => {
  it('comparisons, IN, BETWEEN, ANY → sampled from the column (aliases and qualifiers resolved); LIMIT from rows per call, OFFSET 0', () => {
    expect(bind('SELECT * FROM items i WHERE i.id = $1 AND name IN ($2, $3)')).toMatchObject({
      params: [{ sample: 'items.id' }, { sample: 'items.name' }, { sample: 'items.name' }],
    });
    expect(bind('SELECT * FROM items WHERE id BETWEEN $1 AND $2 ORDER BY id LIMIT $3 OFFSET $4', { rowsPerCall: 7.2 })).toMatchObject({
      params: [{ sample: 'items.id' }, { sample: 'items.id' }, 8, 0],
    });
    expect(bind('SELECT * FROM shop.orders o JOIN items ON items.id = o.user_id WHERE o.user_id = $1')).toMatchObject({
      params: [{ sample: 'shop.orders.user_id' }],
    });
    const any = bind('SELECT * FROM items WHERE id = ANY($1)');
    expect(any).toMatchObject({ sql: 'SELECT * FROM items WHERE id = ANY(ARRAY[$1::integer])', params: [{ sample: 'items.id' }] });
  });

  it('written values: fresh where a unique index would reject a repeat (uuid, an integer above any known, text), sampled or typed otherwise', () => {
    expect(bind('INSERT INTO events (id, item_id, note, at, ok) VALUES ($1, $2, $3, $4, $5)')).toMatchObject({
      params: [{ uuid: true }, { int: [1, 1000] }, { text: 12 }, 'now', { pick: [true, false] }],
    });
    // above the histogram's largest value
    expect(bind('INSERT INTO shop.orders (id, user_id) VALUES ($1, $2)')).toMatchObject({
      params: [{ int: [9000000000000001, Number.MAX_SAFE_INTEGER] }, { sample: 'shop.orders.user_id' }],
    });
    expect(bind('UPDATE items SET qty = qty + $1, name = $2 WHERE id = $3')).toMatchObject({
      params: [{ int: [1, 10] }, { text: 24 }, { sample: 'items.id' }],
    });
    expect(bind('INSERT INTO items (id, name, qty) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET qty = $4')).toMatchObject({
      params: [{ int: [1_000_000_000, 2_147_483_647] }, { text: 24 }, { sample: 'items.qty' }, { sample: 'items.qty' }],
    });
  });

  it('what cannot be bound says why', () => {
    expect(bind('SELECT * FROM items WHERE lower(name) = lower($1)')).toEqual({
      reason: '$1 is not compared with a column, a LIMIT/OFFSET or a written column: no value to draw for it',
    });
    expect(bind('SELECT * FROM users WHERE id = $1')).toMatchObject({ reason: expect.stringMatching(/^\$1: column id is in no table of the statistics file/) });
    expect(bind('INSERT INTO items (id, name, code) VALUES ($1, $2, $3)')).toMatchObject({
      reason: expect.stringMatching(/unique index items_code_key: public\.items\.code is in a unique index and a fresh character varying\(4\) cannot be made/),
    });
    expect(bind('SELECT * FROM items WHERE id = $1 AND')).toMatchObject({ reason: expect.stringMatching(/^the parser cannot read it: syntax error/) });
  });
});

describe('deriveWorkload', () => {
  it('keeps the busiest statements up to the coverage, at most top', () => {
    const s = [stmt('a', { calls: 80 }), stmt('b', { calls: 15 }), stmt('c', { calls: 5 })];
    expect(chooseStatements(s, 0.95).length).toBe(2);
    expect(chooseStatements(s, 1).length).toBe(3);
    expect(chooseStatements(s, 1, 1).length).toBe(1);
    expect(chooseStatements(s, 0.5).length).toBe(1);
  });

  it('writes YAML the workload reader takes: rates × scale, clients from connections, the long transaction, the unbound listed', async () => {
    const stats: StatsFile = {
      tables,
      traffic: {
        windowMs: 10_000,
        statements: [
          stmt('SELECT name FROM items WHERE id = $1', { queryid: '1', calls: 1000, callsPerSec: 100, command: 'SELECT', tables: ['public.items'] }),
          stmt('SELECT * FROM items WHERE lower(name) = lower($1)', { queryid: '2', calls: 200, callsPerSec: 20, command: 'SELECT', tables: ['public.items'] }),
        ],
        activity: {
          samples: 100,
          sampleMs: 100,
          connections: [{ application: 'api', max: 6, mean: 5, meanActive: 1 }],
          maxConnections: 6,
          transactions: { open: { count: 1, p50Ms: 3000, p95Ms: 3000, maxMs: 3000 }, idleInTransaction: { count: 1, p50Ms: 2900, p95Ms: 2900, maxMs: 2900 } },
          longest: [{ application: 'reports', openMs: 3000, idleInTransactionMs: 2900, tables: ['public.items'] }],
        },
      },
    };
    const derived = await deriveWorkload(stats, { scale: 2, coverage: 1, source: 'prod-stats.json' });
    const yaml = workloadYaml(derived);
    const w = parseWorkload(yaml, 'derived.yaml');
    expect(w.apps).toHaveLength(1);
    expect(w.apps[0]).toMatchObject({ name: 'old', role: 'old', clients: 12 });
    expect(w.apps[0]!.queries.map((q) => [q.name, q.rate])).toEqual([['q01_select_items', 200]]);
    expect(w.background[0]!.steps.map((s) => s.sql)).toEqual(['SELECT 1 FROM items LIMIT 1', 'SELECT pg_sleep(3)']);
    expect(yaml).toContain('# clients: the most connections production had open at once: 6 × 2');
    expect(yaml).toContain('# queryid 1: 100 calls/s in production (× 2), 1 rows/call, 0.1 ms mean');
    expect(yaml).toMatch(/# Not bound: 1 statement, 16\.7 % of calls/);
    expect(yaml).toMatch(/#\s+queryid 2 \(20 calls\/s\): \$1 is not compared with a column.*\n#\s+SELECT \* FROM items WHERE lower\(name\) = lower\(\$1\)/);
  });
});
