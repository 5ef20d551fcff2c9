import { describe, expect, it } from 'vitest';
import { RehearseError } from '../src/core/errors.ts';
import { parseDuration, parsePgbenchScript, parseWorkload } from '../src/traffic/index.ts';

const ISSUE_EXAMPLE = `
apps:
  old:
    clients: 4
    queries:
      - name: get_order
        sql: SELECT id, status, total FROM orders WHERE id = $1
        params: [{ int: [1, 100000] }]
        rate: 50            # per second; omit for closed loop
  new:
    clients: 4
    queries:
      - name: get_order_v2
        sql: SELECT id, status, total_cents FROM orders WHERE id = $1
        params: [{ sample: orders.id }]
        expect: { rows: ">=1", notNull: [total_cents] }
background:
  - name: nightly_report
    app: old
    sql: SELECT pg_sleep(3), count(*) FROM orders
    at: 0.5s              # offset from the start of the replay
`;

function usage(fn: () => unknown): RehearseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RehearseError);
    expect((err as RehearseError).kind).toBe('usage');
    return err as RehearseError;
  }
  throw new Error('expected a usage error');
}

describe('parseWorkload', () => {
  it('reads the example of issue 3', () => {
    const w = parseWorkload(ISSUE_EXAMPLE, 'w.yaml');
    expect(w.apps.map((a) => [a.name, a.role, a.clients])).toEqual([
      ['old', 'old', 4],
      ['new', 'new', 4],
    ]);
    const [getOrder] = w.apps[0]!.queries;
    expect(getOrder).toMatchObject({ name: 'get_order', rate: 50, transaction: false });
    expect(getOrder!.steps[0]!.params).toEqual([{ kind: 'int', lo: 1, hi: 100000 }]);
    const [v2] = w.apps[1]!.queries;
    expect(v2!.rate).toBeNull();
    expect(v2!.steps[0]!.params).toEqual([{ kind: 'sample', relation: 'orders', column: 'id', key: 'orders.id' }]);
    expect(v2!.steps[0]!.expect).toEqual({ rows: { op: '>=', n: 1 }, notNull: ['total_cents'] });
    expect(w.background).toEqual([
      { name: 'nightly_report', app: 'old', atMs: 500, vars: [], steps: [{ sql: 'SELECT pg_sleep(3), count(*) FROM orders', params: [] }] },
    ]);
  });

  it('reads JSON, every generator, transactions and vars', () => {
    const w = parseWorkload(
      JSON.stringify({
        apps: {
          web: {
            clients: 2,
            statementTimeout: '2s',
            queries: [
              {
                name: 'place_order',
                vars: { user: { int: [1, 10] } },
                transaction: [
                  { sql: 'UPDATE users SET name = name WHERE id = $1', params: [{ var: 'user' }] },
                  {
                    sql: 'INSERT INTO t VALUES ($1, $2, $3, $4, $5)',
                    params: [{ var: 'user' }, { pick: ['a', 'b'] }, { uuid: true }, { text: 12 }, 7],
                    expect: { rows: 1 },
                  },
                ],
              },
            ],
          },
        },
      }),
      'w.json',
    );
    const q = w.apps[0]!.queries[0]!;
    expect(w.apps[0]!.statementTimeoutMs).toBe(2000);
    expect(w.apps[0]!.role).toBe('old');
    expect(q.transaction).toBe(true);
    expect(q.vars).toEqual([{ name: 'user', spec: { kind: 'int', lo: 1, hi: 10 } }]);
    expect(q.steps[1]!.params.map((p) => p.kind)).toEqual(['var', 'pick', 'uuid', 'text', 'const']);
    expect(q.steps[1]!.expect).toEqual({ rows: { op: '=', n: 1 } });
  });

  it('roles: apps named old/new win over order; role: overrides', () => {
    const apps = (yaml: string) => parseWorkload(yaml, 'w.yaml').apps.map((a) => `${a.name}:${a.role}`);
    const q = '{ queries: [{ name: q, sql: SELECT 1 }] }';
    expect(apps(`apps: { new: ${q}, old: ${q} }`)).toEqual(['new:new', 'old:old']);
    expect(apps(`apps: { v1: ${q}, v2: ${q}, v3: ${q} }`)).toEqual(['v1:old', 'v2:other', 'v3:new']);
    expect(apps(`apps: { a: { role: new, queries: [{ name: q, sql: SELECT 1 }] }, b: ${q} }`)).toEqual(['a:new', 'b:old']);
  });

  it('an unknown key names file, line and key path', () => {
    const err = usage(() => parseWorkload(ISSUE_EXAMPLE.replace('rate: 50', 'ratee: 50'), 'shop.yaml'));
    expect(err.message).toBe('shop.yaml:9: apps.old.queries[0].ratee: unknown key "ratee"');
  });

  it('a bad generator, a bad duration, a missing key, a bad expectation: clear messages', () => {
    expect(usage(() => parseWorkload(ISSUE_EXAMPLE.replace('{ int: [1, 100000] }', '{ range: [1, 2] }'), 'w.yaml')).message).toMatch(
      /^w\.yaml:8: apps\.old\.queries\[0\]\.params\[0\]: unknown parameter generator "range"/,
    );
    expect(usage(() => parseWorkload(ISSUE_EXAMPLE.replace('{ int: [1, 100000] }', '{ int: [5, 1] }'), 'w.yaml')).message).toMatch(/int takes \[lo, hi\]/);
    expect(usage(() => parseWorkload(ISSUE_EXAMPLE.replace('at: 0.5s', 'at: 3'), 'w.yaml')).message).toMatch(
      /background\[0\]\.at: expected a duration with a unit/,
    );
    expect(usage(() => parseWorkload(ISSUE_EXAMPLE.replace('    sql: SELECT pg_sleep(3), count(*) FROM orders\n', ''), 'w.yaml')).message).toMatch(
      /background\[0\]: give either sql .* or transaction/,
    );
    expect(usage(() => parseWorkload(ISSUE_EXAMPLE.replace('">=1"', '"at least one"'), 'w.yaml')).message).toMatch(
      /queries\[0\]\.expect\.rows: expected a row count/,
    );
    expect(usage(() => parseWorkload(ISSUE_EXAMPLE.replace('clients: 4', 'clients: many'), 'w.yaml')).message).toMatch(/^w\.yaml:4: apps\.old\.clients: /);
    expect(usage(() => parseWorkload(ISSUE_EXAMPLE.replace('app: old', 'app: legacy'), 'w.yaml')).message).toMatch(
      /background\[0\]\.app: no app named "legacy"/,
    );
    expect(usage(() => parseWorkload('apps: {}', 'w.yaml')).message).toMatch(/apps: at least one app/);
    expect(usage(() => parseWorkload('apps: [oops', 'w.yaml')).message).toMatch(/^w\.yaml:1: not valid YAML or JSON/);
    expect(usage(() => parseWorkload('apps: { a: { queries: [{ name: q, sql: SELECT $1, params: [{ var: x }] }] } }', 'w.yaml')).message).toMatch(
      /params\[0\]: var "x" is not defined/,
    );
  });

  it('names must be usable in application_name', () => {
    expect(usage(() => parseWorkload('apps: { old: { queries: [{ name: "get order", sql: SELECT 1 }] } }', 'w.yaml')).message).toMatch(
      /queries\[0\]\.name: names are letters/,
    );
    const long = 'q'.repeat(60);
    expect(usage(() => parseWorkload(`apps: { old: { queries: [{ name: ${long}, sql: SELECT 1 }] } }`, 'w.yaml')).message).toMatch(/must fit 47 characters/);
    expect(usage(() => parseWorkload('apps: { old: { queries: [{ name: a, sql: SELECT 1 }, { name: a, sql: SELECT 2 }] } }', 'w.yaml')).message).toMatch(
      /used twice/,
    );
  });

  it('an app can take its queries from pgbench scripts, relative to the workload file', () => {
    const read = (path: string) => {
      expect(path).toBe('/work/loads/select-only.sql');
      return '\\set aid random(1, 1000)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n';
    };
    const w = parseWorkload('apps: { bench: { clients: 8, pgbench: select-only.sql, pgbenchRate: 100 } }', '/work/loads/w.yaml', read);
    expect(w.apps[0]!.queries).toEqual([
      {
        name: 'select-only',
        source: 'select-only.sql',
        transaction: false,
        prepared: false,
        rate: 100,
        vars: [{ name: 'aid', spec: { kind: 'int', lo: 1, hi: 1000 } }],
        steps: [{ sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1', params: [{ kind: 'var', name: 'aid' }] }],
      },
    ]);
    expect(usage(() => parseWorkload('apps: { b: { pgbench: missing.sql } }', 'w.yaml')).message).toMatch(
      /apps\.b\.pgbench: cannot read the pgbench script missing\.sql/,
    );
  });
});

describe('parsePgbenchScript', () => {
  const TPCB = `-- tpcb-like
\\set aid random(1, 100000 )
\\set bid random(1, 1)
\\set tid random(1, 10)
\\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta
  WHERE tid = :tid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
`;

  it('translates \\set and :var into one transaction with shared per-execution variables', () => {
    const q = parsePgbenchScript(TPCB, 'scripts/tpcb.sql');
    expect(q.name).toBe('tpcb');
    expect(q.transaction).toBe(true);
    expect(q.vars.map((v) => v.name)).toEqual(['aid', 'bid', 'tid', 'delta']);
    expect(q.vars[3]!.spec).toEqual({ kind: 'int', lo: -5000, hi: 5000 });
    expect(q.steps.map((s) => s.sql)).toEqual([
      'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2',
      'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
      'UPDATE pgbench_tellers SET tbalance = tbalance + $1\n  WHERE tid = $2',
      'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)',
    ]);
    expect(q.steps[0]!.params).toEqual([
      { kind: 'var', name: 'delta' },
      { kind: 'var', name: 'aid' },
    ]);
  });

  it('keeps casts, quotes, comments and dollar quotes; constants; no BEGIN means autocommit', () => {
    const q = parsePgbenchScript("\\set n 7\nSELECT :n::int, ':n', $$ :n $$ -- :n\n, 1;\nSELECT 2;", 'x.sql');
    expect(q.transaction).toBe(false);
    expect(q.vars).toEqual([{ name: 'n', spec: { kind: 'const', value: 7 } }]);
    expect(q.steps.map((s) => s.sql)).toEqual(["SELECT $1::int, ':n', $$ :n $$  \n, 1", 'SELECT 2']);
  });

  it('other meta-commands, expressions and unknown variables are clear errors with the line', () => {
    expect(usage(() => parsePgbenchScript('\\set a random(1, 10)\n\\sleep 10 ms\nSELECT :a;', 's.sql')).message).toBe(
      's.sql:2: pgbench meta-command \\sleep is not supported',
    );
    expect(usage(() => parsePgbenchScript('\\set aid random(1, 100000 * :scale)\nSELECT 1;', 's.sql')).message).toMatch(
      /^s\.sql:1: \\set aid .*only random\(lo, hi\)/,
    );
    expect(usage(() => parsePgbenchScript('SELECT 1;\nSELECT :nope;', 's.sql')).message).toBe('s.sql:2: :nope is not set by a \\set before it');
    expect(usage(() => parsePgbenchScript('SELECT 1\n  AS one \\gset', 's.sql')).message).toBe('s.sql:2: pgbench meta-command \\gset is not supported');
    expect(usage(() => parsePgbenchScript('BEGIN;\nSELECT 1;', 's.sql')).message).toMatch(/BEGIN without a final END/);
    expect(usage(() => parsePgbenchScript('\\set a 1\n', 's.sql')).message).toMatch(/no SQL command/);
  });
});

describe('parseDuration', () => {
  it('needs a unit', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('0.5s')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(3)).toBeNull();
    expect(parseDuration('3')).toBeNull();
    expect(parseDuration('soon')).toBeNull();
  });
});
