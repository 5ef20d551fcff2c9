import { beforeAll, describe, expect, it } from 'vitest';
import { classify, isTrackingRelation, loadParser } from '../src/replay/command-classify.ts';
import { CommandTracker, dedupeLocks, type PolledBackend, type PolledLock } from '../src/replay/command-tracker.ts';
import { asMigrationBackends } from '../src/replay/command.ts';
import type { Backend, BlockingInterval } from '../src/observe/index.ts';

beforeAll(() => loadParser());

describe('classify: migration statement or the tool’s bookkeeping', () => {
  it.each([
    ['BEGIN', true],
    ['COMMIT', true],
    ['SET search_path TO "public"', true],
    ['SHOW server_version', true],
    ['SELECT pg_try_advisory_lock(7241865325823964) AS "lockObtained"', true],
    ['SELECT 1', true],
    [`INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('1700_x', NOW());`, true],
    ['SELECT name FROM "public"."pgmigrations" ORDER BY run_on, id', true],
    ['CREATE TABLE IF NOT EXISTS _prisma_migrations (id varchar(36) PRIMARY KEY)', true],
    ['LOCK TABLE knex_migrations_lock', true],
    [`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`, true],
    ['SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace', true],
    ['ALTER TABLE t ADD COLUMN x int', false],
    ['-- Up Migration\nALTER TABLE t ADD COLUMN x int; SELECT pg_sleep(1.2);', false],
    ['SELECT pg_sleep(1)', false],
    ['SELECT backfill_totals()', false],
    ['UPDATE orders SET total_cents = total * 100', false],
    ['INSERT INTO schema_migrations (version) SELECT id FROM orders', false],
    ['WITH x AS (SELECT 1) SELECT * FROM x', true],
    ['CREATE INDEX CONCURRENTLY i ON t (x)', false],
    ['ALTER TABLE t ADD COLUMN x int; SELECT 1; COMMIT', false],
    ["SELECT * FROM orders WHERE id = 1 AND name = 'cut at track_activity_query_si", false],
  ])('%s → bookkeeping %s', (sql, bookkeeping) => {
    expect(classify(sql).bookkeeping).toBe(bookkeeping);
  });

  it('gives the kinds of every statement in a query, Unknown when the text is cut', () => {
    expect(classify('ALTER TABLE t ADD COLUMN x int; SELECT pg_sleep(1.2);').kinds).toEqual(['AlterTableStmt', 'SelectStmt']);
    expect(classify("SELECT 'unterminated").kinds).toEqual(['Unknown']);
  });

  it('knows the tracking tables and their sequences, schema-qualified or not', () => {
    expect(isTrackingRelation('pgmigrations')).toBe(true);
    expect(isTrackingRelation('drizzle.__drizzle_migrations')).toBe(true);
    expect(isTrackingRelation('pgmigrations_id_seq')).toBe(true);
    expect(isTrackingRelation('public."SequelizeMeta"')).toBe(true);
    expect(isTrackingRelation('orders')).toBe(false);
  });
});

const T0 = 1_700_000_000_000;
const lock = (oid: number, name: string | null, mode = 'AccessExclusiveLock', relkind = 'r'): PolledLock => ({ oid: String(oid), mode, name, relkind });
const row = (pid: number, p: Partial<PolledBackend>): PolledBackend => ({
  pid,
  state: 'active',
  query: '',
  queryStart: null,
  stateChange: null,
  xactStart: null,
  locks: [],
  ...p,
});

function tracker() {
  const started: number[] = [];
  const t = new CommandTracker({ classify, isBookkeepingRelation: isTrackingRelation, onStatement: (i) => started.push(i), startLsn: '0/100' });
  return { t, started };
}

describe('CommandTracker: statements and locks from polls of pg_stat_activity and pg_locks', () => {
  it('times a statement from query_start to the state change, holds its lock until COMMIT ended', () => {
    const { t, started } = tracker();
    const alter = 'ALTER TABLE t ADD COLUMN x int; SELECT pg_sleep(1.2);';
    const tx = T0 + 10;
    t.add({ t: T0 + 5, lsn: '0/100', backends: [row(42, { state: 'idle', query: 'BEGIN', queryStart: tx, stateChange: tx + 0.1, xactStart: tx })] });
    t.add({ t: T0 + 25, lsn: '0/200', backends: [row(42, { query: alter, queryStart: T0 + 20, xactStart: tx, locks: [lock(16385, 't')] })] });
    t.add({ t: T0 + 900, lsn: '0/300', backends: [row(42, { query: alter, queryStart: T0 + 20, xactStart: tx, locks: [lock(16385, 't')] })] });
    t.add({
      t: T0 + 1230,
      lsn: '0/400',
      backends: [
        row(42, {
          state: 'idle in transaction',
          query: "INSERT INTO pgmigrations (name, run_on) VALUES ('x', now())",
          queryStart: T0 + 1225,
          stateChange: T0 + 1226,
          xactStart: tx,
          locks: [lock(16385, 't'), lock(16390, 'pgmigrations', 'RowExclusiveLock')],
        }),
      ],
    });
    t.add({
      t: T0 + 1240,
      lsn: '0/500',
      backends: [row(42, { state: 'idle', query: 'COMMIT', queryStart: T0 + 1234, stateChange: T0 + 1236, xactStart: null })],
    });
    const { statements, bookkeeping, stats } = t.finish();

    expect(started).toEqual([0]);
    expect(statements).toHaveLength(1);
    const s = statements[0]!.trace;
    expect(s).toMatchObject({ index: 0, sql: alter, kind: 'AlterTableStmt; SelectStmt', inTransaction: true, lockSource: 'sampled', file: '', line: 0 });
    expect(s.startedAt).toBe(T0 + 20);
    expect(s.endedAt).toBe(T0 + 1225); // the next query started
    expect(s.locks).toEqual([{ relation: 't', mode: 'AccessExclusiveLock', relkind: 'r' }]); // pgmigrations stays with the INSERT
    expect(s.lockHeldMs).toBe(1216); // released when COMMIT ended (state_change of the idle backend)
    expect(s.walBytes).toBe(0x400 - 0x100);
    expect(bookkeeping).toEqual(['BEGIN', "INSERT INTO pgmigrations (name, run_on) VALUES ('x', now())", 'COMMIT']);
    expect(stats.samples).toBe(5);
    expect(statements[0]!.exclusive).toEqual(new Set(['16385']));
  });

  it('sees a short statement from the idle state it left behind, and attributes a lock first seen under bookkeeping to the statement before it', () => {
    const { t } = tracker();
    const tx = T0;
    t.add({
      t: T0 + 10,
      lsn: '0/100',
      backends: [
        row(7, {
          state: 'idle in transaction',
          query: 'CREATE INDEX i ON t (x)',
          queryStart: T0 + 2,
          stateChange: T0 + 4,
          xactStart: tx,
          locks: [lock(16385, 't', 'ShareLock')],
        }),
      ],
    });
    t.add({
      t: T0 + 20,
      lsn: '0/100',
      backends: [
        row(7, {
          state: 'idle in transaction',
          query: 'SELECT 1',
          queryStart: T0 + 15,
          stateChange: T0 + 15.5,
          xactStart: tx,
          locks: [lock(16385, 't', 'ShareLock'), lock(16400, null)],
        }),
      ],
    });
    t.add({ t: T0 + 30, lsn: '0/100', backends: [] }); // disconnected
    const { statements } = t.finish();
    expect(statements).toHaveLength(1);
    const s = statements[0]!.trace;
    expect(s).toMatchObject({ sql: 'CREATE INDEX i ON t (x)', durationMs: 2 });
    expect(s.locks).toEqual([
      { relation: 't', mode: 'ShareLock', relkind: 'r' },
      { relation: 'oid 16400', mode: 'AccessExclusiveLock', relkind: 'r' }, // resolveLockNames names it later
    ]);
    expect(s.lockHeldMs).toBe(18); // until the last poll that saw the locks
  });

  it('a lock seen while a bookkeeping query runs, with no migration statement before it in its transaction, makes that query a migration statement', () => {
    const { t, started } = tracker();
    t.add({ t: T0 + 10, lsn: '0/100', backends: [row(9, { query: 'SELECT 1', queryStart: T0 + 5, xactStart: T0 + 5, locks: [lock(16385, 't')] })] });
    const { statements } = t.finish();
    expect(started).toEqual([0]);
    expect(statements.map((s) => s.trace.sql)).toEqual(['SELECT 1']);
  });

  it('a lock newer than the idle bookkeeping row beside it (activity read before pg_locks) waits a poll for the statement that took it', () => {
    const { t, started } = tracker();
    const tx = T0 + 10;
    const alter = 'ALTER TABLE t ADD COLUMN x int; SELECT pg_sleep(1.2);';
    // the activity snapshot still shows BEGIN, pg_locks already has the ALTER's lock
    t.add({
      t: T0 + 12,
      lsn: '0/100',
      backends: [row(42, { state: 'idle in transaction', query: 'BEGIN', queryStart: tx, stateChange: tx + 0.1, xactStart: tx, locks: [lock(16385, 't')] })],
    });
    t.add({ t: T0 + 20, lsn: '0/100', backends: [row(42, { query: alter, queryStart: T0 + 11, xactStart: tx, locks: [lock(16385, 't')] })] });
    t.add({ t: T0 + 30, lsn: '0/100', backends: [row(42, { state: 'idle', query: 'COMMIT', queryStart: T0 + 25, stateChange: T0 + 26, xactStart: null })] });
    const { statements, bookkeeping } = t.finish();
    expect(started).toEqual([0]);
    expect(statements.map((s) => [s.trace.index, s.trace.sql])).toEqual([[0, alter]]);
    expect(statements[0]!.trace.locks).toEqual([{ relation: 't', mode: 'AccessExclusiveLock', relkind: 'r' }]);
    expect(bookkeeping).toEqual(['BEGIN', 'COMMIT']);
  });

  it('orders statements of several backends as first seen; one aborted is flagged', () => {
    const { t } = tracker();
    t.add({
      t: T0 + 10,
      lsn: '0/100',
      backends: [
        row(1, { query: 'UPDATE a SET x = 1', queryStart: T0 + 1, xactStart: T0 + 1 }),
        row(2, { query: 'UPDATE b SET x = 1', queryStart: T0 + 2, xactStart: T0 + 2 }),
      ],
    });
    t.add({
      t: T0 + 20,
      lsn: '0/100',
      backends: [row(1, { state: 'idle in transaction (aborted)', query: 'UPDATE a SET x = 1', queryStart: T0 + 1, stateChange: T0 + 12, xactStart: T0 + 1 })],
    });
    const { statements } = t.finish();
    expect(statements.map((s) => [s.trace.index, s.pid, s.aborted])).toEqual([
      [0, 1, true],
      [1, 2, false],
    ]);
    expect(statements[1]!.trace.endedAt).toBe(T0 + 10); // last seen before its backend went away
  });

  it('dedupes locks by relation and mode (a rebuilt index is a new relation with the old name)', () => {
    const l = { relation: 't_pkey', mode: 'AccessExclusiveLock', relkind: 'i' };
    expect(dedupeLocks([l, { ...l }, { ...l, mode: 'ShareLock' }])).toHaveLength(2);
  });
});

describe('asMigrationBackends', () => {
  it("counts the command's untagged backends as the migration's in blocking intervals", () => {
    const b = (pid: number, kind: Backend['kind']): Backend => ({
      pid,
      applicationName: kind === 'app' ? 'rehearse/app/old/q' : 'psql',
      backendType: 'client backend',
      kind,
      app: kind === 'app' ? 'old' : null,
      query: kind === 'app' ? 'q' : null,
    });
    const iv = { blocked: b(10, 'app'), directBlocker: b(20, 'other'), rootBlocker: b(20, 'other') } as BlockingInterval;
    const [out] = asMigrationBackends([iv], [20]);
    expect(out!.rootBlocker.kind).toBe('migration');
    expect(out!.directBlocker.kind).toBe('migration');
    expect(out!.blocked.kind).toBe('app');
  });
});
