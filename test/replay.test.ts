import { beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../src/replay/index.ts';
import type { StatementTrace } from '../src/replay/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { migrationOf } from './helpers/migrations.ts';

let url: string;

beforeAll(async () => {
  url = await freshDatabase('replay');
  await sql(
    url,
    `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 2000) g;
     CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, qty int NOT NULL, note text);
     INSERT INTO orders SELECT g, 1 + g % 2000, g % 7, NULL FROM generate_series(1, 50000) g;
     ANALYZE;`,
  );
});

async function one(statements: string[], options?: { inTransaction?: boolean }): Promise<StatementTrace[]> {
  const result = await replay({ url, migrations: [migrationOf('001', statements, options)], log: silentLogger });
  expect(result.ok).toBe(true);
  return result.migrations[0]!.statements;
}

const modesOn = (t: StatementTrace, relation: string) => t.locks.filter((l) => l.relation === relation).map((l) => l.mode);

describe('replay traces each statement on a populated table', () => {
  it('ADD COLUMN takes AccessExclusiveLock and does not rewrite', async () => {
    const [t] = await one(['ALTER TABLE orders ADD COLUMN c1 text']);
    expect(modesOn(t!, 'orders')).toContain('AccessExclusiveLock');
    expect(t!.lockSource).toBe('exact');
    expect(t!.inTransaction).toBe(true);
    expect(t!.rewrites).toEqual([]);
  });

  it('ALTER COLUMN TYPE int → bigint takes AccessExclusiveLock and rewrites the table', async () => {
    const [t] = await one(['ALTER TABLE orders ALTER COLUMN qty TYPE bigint']);
    expect(modesOn(t!, 'orders')).toContain('AccessExclusiveLock');
    const rewritten = t!.rewrites.map((r) => r.relation);
    expect(rewritten).toContain('orders');
    expect(rewritten).toContain('orders_pkey');
    expect(t!.walBytes).toBeGreaterThan(1_000_000);
  });

  it('CREATE INDEX takes ShareLock', async () => {
    const [t] = await one(['CREATE INDEX orders_customer_idx ON orders (customer_id)']);
    expect(modesOn(t!, 'orders')).toContain('ShareLock');
    expect(modesOn(t!, 'orders')).not.toContain('AccessExclusiveLock');
  });

  it('CREATE INDEX CONCURRENTLY takes ShareUpdateExclusiveLock, outside a transaction', async () => {
    const [t] = await one(['CREATE INDEX CONCURRENTLY orders_qty_idx ON orders (qty)']);
    expect(t!.inTransaction).toBe(false);
    expect(t!.lockSource).toBe('sampled');
    expect(modesOn(t!, 'orders')).toEqual(['ShareUpdateExclusiveLock']);
  });

  it('VALIDATE CONSTRAINT takes ShareUpdateExclusiveLock', async () => {
    const [add] = await one(['ALTER TABLE orders ADD CONSTRAINT qty_nonneg CHECK (qty >= 0) NOT VALID']);
    expect(modesOn(add!, 'orders')).toContain('AccessExclusiveLock');
    const [v] = await one(['ALTER TABLE orders VALIDATE CONSTRAINT qty_nonneg']);
    expect(modesOn(v!, 'orders')).toEqual(['ShareUpdateExclusiveLock']);
  });

  it('ADD FOREIGN KEY takes ShareRowExclusiveLock on both tables', async () => {
    const [t] = await one(['ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)']);
    expect(modesOn(t!, 'orders')).toContain('ShareRowExclusiveLock');
    expect(modesOn(t!, 'customers')).toContain('ShareRowExclusiveLock');
  });

  it('a lock is held until the transaction ends: lockHeldMs >= 1000 with pg_sleep(1) after it', async () => {
    const [alter, sleep] = await one(['ALTER TABLE orders ADD COLUMN c2 int', 'SELECT pg_sleep(1)']);
    expect(alter!.durationMs).toBeLessThan(500);
    expect(alter!.lockHeldMs).toBeGreaterThanOrEqual(1000);
    expect(sleep!.durationMs).toBeGreaterThanOrEqual(1000);
    expect(sleep!.locks).toEqual([]);
    expect(sleep!.rowsAffected).toBe(1);
  });

  it('rows affected are counted for DML', async () => {
    const [t] = await one(['UPDATE orders SET note = $$x$$ WHERE id <= 1234']);
    expect(t!.rowsAffected).toBe(1234);
  });

  it('an explicit BEGIN/COMMIT in the file is run as written', async () => {
    const ts = await one(['BEGIN', 'ALTER TABLE orders ADD COLUMN c3 int', 'SELECT pg_sleep(0.3)', 'COMMIT']);
    expect(ts).toHaveLength(4);
    expect(modesOn(ts[1]!, 'orders')).toContain('AccessExclusiveLock');
    expect(ts[1]!.lockHeldMs).toBeGreaterThanOrEqual(300);
  });

  it('without a transaction (dbmate transaction:false) each statement commits on its own', async () => {
    const [alter, sleep] = await one(['ALTER TABLE orders ADD COLUMN c4 int', 'SELECT pg_sleep(0.3)'], { inTransaction: false });
    expect(alter!.inTransaction).toBe(false);
    expect(modesOn(alter!, 'orders')).toContain('AccessExclusiveLock');
    expect(alter!.lockHeldMs).toBeLessThan(300);
    expect(sleep!.locks).toEqual([]);
  });
});

describe('a failing statement', () => {
  it('stops its migration with SQLSTATE and file:line, rolls it back and skips the rest', async () => {
    const db = await freshDatabase('replayfail');
    await sql(db, 'CREATE TABLE t (id int)');
    const result = await replay({
      url: db,
      migrations: [
        migrationOf('001', ['ALTER TABLE t ADD COLUMN a int', 'ALTER TABLE t ADD COLUMN b int,\n  ADD COLUMN nope nosuchtype']),
        migrationOf('002', ['ALTER TABLE t ADD COLUMN c int']),
      ],
      log: silentLogger,
    });
    expect(result.ok).toBe(false);
    const [m1, m2] = result.migrations;
    expect(m1!.status).toBe('failed');
    expect(m2!.status).toBe('skipped');
    const failed = m1!.statements[1]!;
    expect(failed.error).toMatchObject({ sqlstate: '42704', file: '001_m.sql', line: 3 });
    expect(failed.error!.message).toContain('nosuchtype');
    // rolled back: column a is not there
    const cols = await sql<{ attname: string }>(db, `SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0`);
    expect(cols.map((c) => c.attname)).toEqual(['id']);
  });
});

describe('lock_timeout rehearsal', () => {
  /** Another session holds an ACCESS SHARE lock on t (a long reader) until release(), or for holdMs. */
  async function longReader(db: string, holdMs?: number) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    await c.query('BEGIN');
    await c.query('SELECT count(*) FROM t');
    let released: Promise<void> | undefined;
    const release = () => (released ??= c.query('COMMIT').then(() => c.end()));
    if (holdMs !== undefined) setTimeout(release, holdMs);
    return release;
  }

  it('retries the transaction after each lock timeout until the lock is free, listing the attempts', async () => {
    const db = await freshDatabase('locktimeout');
    await sql(db, 'CREATE TABLE t (id int)');
    // held 2 s from now: the replay's own start-up (slow on a loaded machine) must leave room for 3 attempts
    const release = await longReader(db, 2000);
    const result = await replay({
      url: db,
      migrations: [migrationOf('001', ['ALTER TABLE t ADD COLUMN a int', 'ALTER TABLE t ADD COLUMN b int'])],
      timeouts: { lockTimeoutMs: 200, retries: 20, retryBackoffMs: 100 },
      log: silentLogger,
    });
    await release();
    expect(result.ok).toBe(true);
    const [first, second] = result.migrations[0]!.statements;
    expect(first!.attempts).toBeGreaterThanOrEqual(3);
    expect(first!.failedAttempts).toHaveLength(first!.attempts! - 1);
    for (const a of first!.failedAttempts!) {
      expect(a.sqlstate).toBe('55P03');
      expect(a.waitedMs).toBeGreaterThanOrEqual(190);
      expect(a.waitedMs).toBeLessThan(600);
    }
    expect(second!.attempts).toBeUndefined();
    const cols = await sql<{ attname: string }>(db, `SELECT attname FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum`);
    expect(cols.map((c) => c.attname)).toEqual(['id', 'a', 'b']);
  });

  it('gives up after the retries with 55P03, the migration failed and rolled back', async () => {
    const db = await freshDatabase('locktimeout2');
    await sql(db, 'CREATE TABLE t (id int)');
    const release = await longReader(db); // held until the replay gave up
    const result = await replay({
      url: db,
      migrations: [migrationOf('001', ['ALTER TABLE t ADD COLUMN a int'])],
      timeouts: { lockTimeoutMs: 100, retries: 1, retryBackoffMs: 50 },
      log: silentLogger,
    });
    await release();
    expect(result.ok).toBe(false);
    const [s] = result.migrations[0]!.statements;
    expect(s!.error!.sqlstate).toBe('55P03');
    expect(s!.attempts).toBe(2);
  });
});
