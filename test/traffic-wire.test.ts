import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../src/traffic/execute.ts';
import { PG_CHECKED, WireConnection } from '../src/traffic/wire.ts';
import { freshDatabase, sql } from './helpers/db.ts';

/**
 * The traffic's connection (src/traffic/wire.ts): opened by node-postgres, then driven with
 * pg-protocol. What it sends must behave as node-postgres's own calls do — results, SQLSTATEs,
 * named statements prepared once per connection — and it reaches into one non-public field of
 * pg.Client, tied here to the pg release it was checked against.
 */
let url: string;
const installed = (pkg: string): string => JSON.parse(fs.readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;

const run = (c: WireConnection, text: string, values: (string | number | boolean | null)[] = [], name?: string, want = true) =>
  new Promise<{ err: Error | null; res: unknown }>((resolve) => c.run(text, values, name, want, (err, res) => resolve({ err, res })));

beforeAll(async () => {
  url = await freshDatabase('wire');
  await sql(
    url,
    `CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, CASE WHEN g % 2 = 0 THEN 'n' || g END FROM generate_series(1, 10) g;`,
  );
});

describe('WireConnection', () => {
  it('pg is the release wire.ts was checked against', () => {
    expect(
      installed('pg'),
      `pg ${installed('pg')} installed, src/traffic/wire.ts checked against ${PG_CHECKED}: check that pg.Client still keeps its socket in connection.stream, run the traffic tests, then set PG_CHECKED`,
    ).toBe(PG_CHECKED);
  });

  it('returns rows (text), row counts and SQLSTATEs like node-postgres, in both protocols', async () => {
    const c = await WireConnection.open({ connectionString: url, application_name: 'wire-test' });
    try {
      expect(c.pid).toBeGreaterThan(0);
      expect((await run(c, 'SELECT id, note FROM t WHERE id <= 2 ORDER BY id')).res).toEqual({
        columns: ['id', 'note'],
        rows: [
          { id: '1', note: null },
          { id: '2', note: 'n2' },
        ],
        rowCount: 2,
      });
      expect((await run(c, 'SELECT id FROM t WHERE id = $1', [3])).res).toEqual({ columns: ['id'], rows: [{ id: '3' }], rowCount: 1 });
      expect((await run(c, 'UPDATE t SET note = $1 WHERE id > $2', ['x', 7])).res).toEqual({ columns: [], rows: [], rowCount: 3 });
      expect((await run(c, 'SELECT $1::boolean AS b, $2::text AS n', [true, null])).res).toMatchObject({ rows: [{ b: 't', n: null }] });
      // several statements in one simple query: the last result, as pg's last element
      expect((await run(c, 'SELECT 1 AS a; SELECT 2 AS b, 3 AS c')).res).toMatchObject({ columns: ['b', 'c'], rowCount: 1 });
      // errors carry their SQLSTATE; the connection goes on
      expect(failure((await run(c, 'SELECT nope FROM t')).err)).toMatchObject({ ok: false, sqlstate: '42703' });
      expect(failure((await run(c, 'SELECT 1/$1::int', [0])).err)).toMatchObject({ ok: false, sqlstate: '22012' });
      expect((await run(c, 'SELECT count(*) AS n FROM t')).res).toMatchObject({ rows: [{ n: '10' }] });
      await c.exec('BEGIN');
      await c.exec('SELECT set_config($1, $2, true)', ['application_name', 'inside']);
      expect((await c.query('SELECT current_setting($1) AS v', ['application_name'])).rows).toEqual([{ v: 'inside' }]);
      await c.exec('ROLLBACK');
    } finally {
      await c.end();
    }
  });

  it('a named statement is parsed once per connection: after ADD COLUMN its SELECT * fails with 0A000 until a new connection', async () => {
    await sql(url, 'CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p VALUES (1)');
    const c = await WireConnection.open({ connectionString: url });
    try {
      expect((await run(c, 'SELECT * FROM p WHERE id = $1', [1], 'rehearse:q:0')).err).toBeNull();
      expect((await run(c, 'SELECT * FROM p WHERE id = $1', [1], 'rehearse:q:0')).err).toBeNull();
      await sql(url, 'ALTER TABLE p ADD COLUMN extra int');
      for (let i = 0; i < 2; i++) expect(failure((await run(c, 'SELECT * FROM p WHERE id = $1', [1], 'rehearse:q:0')).err).sqlstate).toBe('0A000');
      // unnamed statements are parsed each time
      expect((await run(c, 'SELECT * FROM p WHERE id = $1', [1])).err).toBeNull();
    } finally {
      await c.end();
    }
    const fresh = await WireConnection.open({ connectionString: url });
    try {
      expect((await run(fresh, 'SELECT * FROM p WHERE id = $1', [1], 'rehearse:q:0')).res).toMatchObject({ columns: ['id', 'extra'] });
    } finally {
      await fresh.end();
    }
  });

  it('a statement failing at Parse is not taken as prepared: it is parsed again next time', async () => {
    const c = await WireConnection.open({ connectionString: url });
    try {
      expect(failure((await run(c, 'SELECT later FROM p2', [], 'rehearse:late:0')).err).sqlstate).toBe('42P01');
      await sql(url, 'CREATE TABLE p2 (later int); INSERT INTO p2 VALUES (5)');
      expect((await run(c, 'SELECT later FROM p2', [], 'rehearse:late:0')).res).toMatchObject({ rows: [{ later: '5' }] });
    } finally {
      await c.end();
    }
  });

  it('a connection the server ends fails its statement at once (57P01), then every later one (CLIENT)', async () => {
    const c = await WireConnection.open({ connectionString: url, application_name: 'wire-victim' });
    try {
      const pending = run(c, 'SELECT pg_sleep(30)');
      await new Promise((r) => setTimeout(r, 200));
      await sql(url, `SELECT pg_terminate_backend(${c.pid})`);
      const { err } = await pending;
      expect(failure(err).sqlstate).toBe('57P01');
      expect(c.alive).toBe(false);
      expect(failure((await run(c, 'SELECT 1')).err).sqlstate).toBe('CLIENT');
    } finally {
      await c.end();
    }
  });
});
