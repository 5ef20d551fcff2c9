import { describe, expect, it } from 'vitest';
import { BlockingTracker } from '../src/observe/index.ts';
import { attributeBlocking } from '../src/analyze/index.ts';
import type { ActivityRow } from '../src/observe/index.ts';
import type { MigrationTrace, StatementTrace } from '../src/replay/types.ts';

const MIGRATION = 7;
const BG = 8;
const ALTER = 9;

function row(pid: number, applicationName: string, extra: Partial<ActivityRow> = {}): ActivityRow {
  return {
    pid,
    applicationName,
    backendType: 'client backend',
    state: 'active',
    waitEventType: null,
    waitEvent: null,
    blockers: null,
    queryStart: 0,
    stateChange: 0,
    xactStart: 0,
    relation: null,
    mode: null,
    locktype: null,
    ...extra,
  };
}
const waiting = (pid: number, name: string, blockers: number[], queryStart: number, mode = 'AccessShareLock') =>
  row(pid, name, { waitEventType: 'Lock', waitEvent: 'relation', blockers, queryStart, relation: 'orders', mode, locktype: 'relation' });

function statement(index: number, startedAt: number, endedAt: number, locks: { relation: string; mode: string }[], lockHeldMs: number): StatementTrace {
  return {
    index,
    sql: '',
    file: 'f.sql',
    line: 1,
    kind: 'x',
    inTransaction: true,
    startedAt,
    endedAt,
    durationMs: endedAt - startedAt,
    locks: locks.map((l) => ({ ...l, relkind: 'r' })),
    lockSource: 'exact',
    lockHeldMs,
    rewrites: [],
    walBytes: 0,
    rowsAffected: null,
  };
}
const migration = (id: string, statements: StatementTrace[]): MigrationTrace => ({
  id,
  name: id,
  file: 'f.sql',
  status: 'applied',
  startedAt: statements[0]!.startedAt,
  durationMs: 0,
  statements,
});

describe('BlockingTracker', () => {
  it('a wait starts at its query start when that is after the previous sample, and ends when the next query starts', () => {
    const t = new BlockingTracker();
    const holder = row(MIGRATION, 'rehearse/migration', { queryStart: 900 });
    t.add({ t: 1000, rows: [holder] });
    t.add({ t: 1010, rows: [holder, waiting(20, 'rehearse/app/old/get_order', [MIGRATION], 1003)] });
    t.add({ t: 1020, rows: [holder, waiting(20, 'rehearse/app/old/get_order', [MIGRATION], 1003)] });
    expect(t.waitingPids()).toEqual([20]);
    // granted: the next query of the same backend started at 1024
    t.add({ t: 1030, rows: [row(20, 'rehearse/app/old/get_order', { queryStart: 1024 })] });
    const [iv] = t.finish();
    expect(iv).toMatchObject({ startedAt: 1003, endedAt: 1024, durationMs: 21, samples: 2, ongoing: false });
    expect(iv!.blocked).toMatchObject({ pid: 20, kind: 'app', app: 'old', query: 'get_order' });
    expect(iv!.rootBlocker).toMatchObject({ pid: MIGRATION, kind: 'migration' });
  });

  it('without a better clue, start and end are midpoints between samples; idle gives the end', () => {
    const t = new BlockingTracker();
    t.add({ t: 1000, rows: [] });
    t.add({ t: 1010, rows: [waiting(20, 'x', [MIGRATION], 500), row(MIGRATION, 'rehearse/migration')] });
    t.add({ t: 1020, rows: [row(20, 'x', { queryStart: 500 })] });
    t.add({ t: 1030, rows: [waiting(21, 'y', [MIGRATION], 500)] });
    t.add({ t: 1040, rows: [row(21, 'y', { queryStart: 500, state: 'idle', stateChange: 1033 })] });
    expect(t.finish().map((i) => [i.startedAt, i.endedAt])).toEqual([
      [1005, 1015],
      [1025, 1033],
    ]);
  });

  it('the lock queue: reads behind a waiting ALTER have the ALTER as direct blocker and its blocker as root', () => {
    const t = new BlockingTracker();
    const rows = [
      row(BG, 'rehearse/app/old/nightly_report', { queryStart: 0 }),
      waiting(ALTER, 'rehearse/migration', [BG], 500, 'AccessExclusiveLock'),
      waiting(20, 'rehearse/app/old/get_order', [ALTER], 600),
    ];
    t.add({ t: 490, rows: [] });
    t.add({ t: 1000, rows });
    t.add({ t: 3000, rows });
    const ivs = t.finish();
    expect(ivs.map((i) => [i.blocked.pid, i.directBlocker.pid, i.rootBlocker.pid, i.ongoing])).toEqual([
      [ALTER, BG, BG, true],
      [20, ALTER, BG, true],
    ]);
  });
});

describe('attributeBlocking', () => {
  // LOCK TABLE orders (1000..1001), pg_sleep(2) (1001..3001), commit at 3002
  const lock = migration('001', [statement(0, 1000, 1001, [{ relation: 'orders', mode: 'AccessExclusiveLock' }], 2002), statement(1, 1001, 3001, [], 0)]);
  const earlier = migration('000', [statement(0, 100, 200, [{ relation: 'orders', mode: 'AccessExclusiveLock' }], 100)]);

  it('a wait on a migration lock goes to the statement of the open transaction that took it', () => {
    const t = new BlockingTracker();
    t.add({ t: 1000, rows: [] });
    t.add({ t: 1010, rows: [row(MIGRATION, 'rehearse/migration'), waiting(20, 'rehearse/app/old/get_order', [MIGRATION], 1005)] });
    t.add({ t: 3010, rows: [row(20, 'rehearse/app/old/get_order', { queryStart: 3003 })] });
    const { entries, statements } = attributeBlocking(t.finish(), [earlier, lock]);
    expect(entries).toEqual([
      {
        app: 'old',
        query: 'get_order',
        blockerKind: 'migration',
        migrationId: '001',
        statementIndex: 0,
        migrationRole: 'holds',
        rootBlocker: 'migration 001#0',
        directBlocker: 'migration 001#0',
        waitMs: 1998,
        startedAt: 1005,
        endedAt: 3003,
        relation: 'orders',
        mode: 'AccessShareLock',
        waitEvent: 'relation',
        pid: 20,
        queryStart: 1005,
      },
    ]);
    expect(statements.find((s) => s.migrationId === '001' && s.statementIndex === 0)).toEqual({
      migrationId: '001',
      statementIndex: 0,
      blockedQueries: 1,
      maxBlockedMs: 1998,
      totalBlockedMs: 1998,
      queries: ['old/get_order'],
      lockWaitMs: 0,
    });
    expect(statements.find((s) => s.migrationId === '000')!.blockedQueries).toBe(0);
  });

  it('the lock queue: the migration waits (its own lock wait), the reads behind it have the app as root', () => {
    const alter = migration('002', [statement(0, 500, 3010, [{ relation: 'orders', mode: 'AccessExclusiveLock' }], 3012)]);
    const rows = [
      row(BG, 'rehearse/app/old/nightly_report', { queryStart: 0 }),
      waiting(ALTER, 'rehearse/migration', [BG], 500, 'AccessExclusiveLock'),
      waiting(20, 'rehearse/app/old/get_order', [ALTER], 600),
    ];
    const t = new BlockingTracker();
    t.add({ t: 490, rows: [] });
    t.add({ t: 700, rows });
    t.add({ t: 3000, rows });
    t.add({ t: 3020, rows: [row(ALTER, 'rehearse/migration', { queryStart: 500 }), row(20, 'rehearse/app/old/get_order', { queryStart: 3015 })] });
    const { entries, statements } = attributeBlocking(t.finish(), [alter]);
    expect(entries.map((e) => [e.app, e.query, e.blockerKind, e.rootBlocker, e.directBlocker, e.migrationRole, e.waitMs])).toEqual([
      ['migration', '002#0', 'app', 'old/nightly_report', 'old/nightly_report', 'waits', 2510],
      ['old', 'get_order', 'app', 'old/nightly_report', 'migration 002#0', 'queued', 2415],
    ]);
    expect(statements[0]).toMatchObject({ blockedQueries: 1, maxBlockedMs: 2415, lockWaitMs: 2510 });
  });

  it('a wait on a lock the migration does not conflict with goes to the statement that does', () => {
    // SELECT from orders (AccessShare) then ALTER orders (AccessExclusive): a read waits for the ALTER
    const m = migration('003', [
      statement(0, 1000, 1001, [{ relation: 'orders', mode: 'AccessShareLock' }], 2000),
      statement(1, 1001, 1002, [{ relation: 'orders', mode: 'AccessExclusiveLock' }], 1999),
    ]);
    const t = new BlockingTracker();
    t.add({ t: 1000, rows: [] });
    t.add({ t: 1010, rows: [row(MIGRATION, 'rehearse/migration'), waiting(20, 'rehearse/app/old/get_order', [MIGRATION], 1005)] });
    t.add({ t: 3010, rows: [] });
    expect(attributeBlocking(t.finish(), [m]).entries[0]).toMatchObject({ migrationId: '003', statementIndex: 1 });
  });
});
