import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rehearse } from '../src/rehearsal.ts';
import type { Report, ReportStatement } from '../src/report/index.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { rehearseSuggestion, sameSchemaChange, type Suggestion } from '../src/suggest/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/** --suggest (issue 15): each mechanical rewrite applies, gives the same schema, and shortens the blocking lock. */
const DATA =
  'CREATE TABLE users (id int PRIMARY KEY);\nINSERT INTO users SELECT g FROM generate_series(1, 2000) g;\n' +
  'CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, total numeric(12,2) NOT NULL, qty int NOT NULL);\n' +
  'INSERT INTO orders SELECT g, 1 + g % 2000, g % 500 + 0.5, g % 7 FROM generate_series(1, 400000) g;\nVACUUM ANALYZE;\n';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-suggest-'));
let before: Report;
let after: Report;
let suggestion: Suggestion;

const stmt = (r: Report, id: string, pick: (s: ReportStatement) => boolean) => r.migrations.find((m) => m.id === id)!.statements.find(pick)!;
const modeOn = (s: ReportStatement, rel: string) => s.strongestLocks.find((l) => l.relation === rel)?.mode;

beforeAll(async () => {
  const dump = path.join(filesIn({ 'data.sql': DATA }), 'data.sql');
  const dir = filesIn({
    '001_wait.sql': 'SELECT pg_sleep(0.3);\n',
    '002_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
    '003_total_cents.sql':
      'ALTER TABLE orders ADD COLUMN total_cents bigint;\nUPDATE orders SET total_cents = round(total * 100);\nALTER TABLE orders ALTER COLUMN total_cents SET NOT NULL;\n',
    '004_index.sql': '-- an index\nCREATE INDEX orders_user_idx ON orders (user_id);\n',
    '005_fk.sql': 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n',
    // a CHECK that costs ~1 µs a row: validating 400,000 rows takes far longer than a stall of the
    // machine, so the NOT VALID add is measurably shorter (a plain qty >= 0 took ~23 ms: noise-sized)
    '006_check.sql': 'ALTER TABLE orders ADD CHECK (qty >= 0 AND length(md5(repeat(qty::text, 300))) = 32);\n',
  });
  // a report's transaction holds orders while 002_note's ALTER waits: the reads queue behind it
  const workload = path.join(
    filesIn({
      'w.yaml':
        [
          'apps:',
          '  old:',
          '    clients: 2',
          '    queries:',
          '      - name: get_order',
          '        sql: SELECT id, qty FROM orders WHERE id = $1',
          '        params: [{ int: [1, 40000] }]',
          '        rate: 10',
          'background:',
          '  - name: report',
          '    app: old',
          '    at: 0.05s',
          '    transaction:',
          '      - sql: SELECT count(*) FROM orders',
          '      - sql: SELECT pg_sleep(3)',
        ].join('\n') + '\n',
    }),
    'w.yaml',
  );
  const plan = { ...planOn(dir), load: { kind: 'dump' as const, path: dump }, traffic: { workload, sampleMs: 10, warmupMs: 300, cooldownMs: 200 } };
  ({ report: before } = await rehearse(plan, silentLogger));
  const s = await rehearseSuggestion(plan, before, out, silentLogger, rehearse);
  expect(s).not.toBeNull();
  suggestion = s!;
  after = JSON.parse(fs.readFileSync(suggestion.report, 'utf8')) as Report;
  ReportSchema.parse(after);
}, 180_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('--suggest', () => {
  it('writes the rewrites in the same layout and the suggestion applies with the same final schema', () => {
    expect(suggestion.rewrites.map((r) => `${r.migrationId}#${r.statementIndex} ${r.rule}`)).toEqual([
      '002#0 ddl-waited-in-lock-queue',
      '003#1 full-table-update',
      '003#2 set-not-null-scan',
      '004#0 create-index-blocking',
      '005#0 constraint-validated-under-lock',
      '006#0 constraint-validated-under-lock',
    ]);
    expect(fs.readdirSync(suggestion.folder).sort()).toEqual([
      '001_wait.sql',
      '002_note.sql',
      '003_total_cents.sql',
      '004_index.sql',
      '005_fk.sql',
      '006_check.sql',
    ]);
    expect(fs.readFileSync(path.join(suggestion.folder, '004_index.sql'), 'utf8')).toBe(
      '-- an index\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n',
    );
    expect(after.run.status).toBe('passed');
    expect(suggestion.status).toBe('passed');
    expect(after.migrations.every((m) => m.status === 'applied')).toBe(true);
    // the same schema change from the same dataset: the same final schema (column order aside)
    // the backfill's fill trigger (and its function) stay until the contract step drops them
    expect(suggestion.contractSteps).toEqual(['DROP TRIGGER orders_total_cents_fill ON orders; DROP FUNCTION orders_total_cents_fill();']);
    expect(sameSchemaChange(before, after, suggestion.contractSteps)).toBe(true);
    expect(sameSchemaChange(before, after)).toBe(false);
    expect(suggestion.sameSchema).toBe(true);
    expect(after.schemaDiff!.added.map((o) => o.object).filter((o) => !o.includes('orders_total_cents_fill'))).toEqual(
      before.schemaDiff!.added.map((o) => o.object),
    );
  });

  it('index: ShareLock → ShareUpdateExclusiveLock', () => {
    expect(
      modeOn(
        stmt(before, '004', () => true),
        'orders',
      ),
    ).toBe('ShareLock');
    expect(
      modeOn(
        stmt(after, '004', () => true),
        'orders',
      ),
    ).toBe('ShareUpdateExclusiveLock');
  });

  it('FK and CHECK: the rows are checked under ShareUpdateExclusiveLock (VALIDATE), the strong lock only to add NOT VALID', () => {
    // the lock levels PostgreSQL documents: ADD FOREIGN KEY takes ShareRowExclusiveLock, ADD CHECK
    // AccessExclusiveLock, VALIDATE CONSTRAINT ShareUpdateExclusiveLock
    for (const [id, strong] of [
      ['005', 'ShareRowExclusiveLock'],
      ['006', 'AccessExclusiveLock'],
    ]) {
      const validate = stmt(after, id!, (s) => /VALIDATE CONSTRAINT/.test(s.sql));
      expect(modeOn(validate, 'orders')).toBe('ShareUpdateExclusiveLock');
      const add = stmt(after, id!, (s) => /NOT VALID/.test(s.sql));
      expect(modeOn(add, 'orders')).toBe(strong);
      expect(
        modeOn(
          stmt(before, id!, () => true),
          'orders',
        ),
      ).toBe(strong);
    }
    // the strong lock is held for less time: the costly CHECK's rows are no longer read under it
    // (the FK's 400,000-row check, ~50 ms, is too short to compare on a shared machine)
    const add = stmt(after, '006', (s) => /NOT VALID/.test(s.sql));
    expect(add.durationMs).toBeLessThan(stmt(before, '006', () => true).durationMs);
  });

  it("backfill and SET NOT NULL: the table's strong lock held < 1 s, shorter than before", () => {
    const strong = (r: Report) =>
      Math.max(
        ...r.migrations
          .find((m) => m.id === '003')!
          .statements.filter((s) => modeOn(s, 'orders') === 'AccessExclusiveLock')
          .map((s) => s.lockHeldMs),
      );
    expect(strong(after)).toBeLessThan(1000);
    expect(strong(after)).toBeLessThan(strong(before));
    // the batches ran outside the transaction; the scan for NOT NULL ran under ShareUpdateExclusiveLock
    const batched = stmt(after, '003', (s) => s.sql.startsWith('-- pg-rehearse') || s.sql.startsWith('DO'));
    expect(batched.inTransaction).toBe(false);
    expect(
      modeOn(
        stmt(after, '003', (s) => /VALIDATE CONSTRAINT/.test(s.sql)),
        'orders',
      ),
    ).toBe('ShareUpdateExclusiveLock');
    expect(suggestion.after.blockingLockHoldMs).toBeLessThan(suggestion.before.blockingLockHoldMs);
    expect(suggestion.before.blockingLockHoldMs).toBe(
      Math.max(
        ...before.migrations
          .flatMap((m) => m.statements)
          .filter((s) => s.strongestLocks.some((l) => ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'].includes(l.mode)))
          .map((s) => s.lockHeldMs),
      ),
    );
  });

  it('a DDL that waited in the lock queue: lock_timeout and retries, the queued reads wait less', () => {
    const queued = (r: Report) => Math.max(0, ...r.blocking.filter((b) => b.migrationId === '002' && b.app !== 'migration').map((b) => b.waitMs));
    const s = stmt(after, '002', (x) => /ADD COLUMN note/.test(x.sql));
    expect(suggestion.lockTimeoutMs).toBe(200);
    expect(s.failedAttempts!.length).toBeGreaterThan(0);
    expect(s.failedAttempts!.every((a) => a.sqlstate === '55P03')).toBe(true);
    expect(queued(after)).toBeLessThan(queued(before));
  });
});
