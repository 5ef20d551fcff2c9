import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rehearse } from '../src/rehearsal.ts';
import type { Report, ReportStatement } from '../src/report/index.ts';
import { ReportSchema } from '../src/report/schema.ts';
import { rehearseSuggestion, sameSchemaChange, type Suggestion } from '../src/suggest/index.ts';
import { silentLogger } from '../src/util/log.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/** --suggest (issue 15): each mechanical rewrite applies, gives the same schema, and shortens the blocking lock. */
const DATA =
  'CREATE TABLE users (id int PRIMARY KEY);\nINSERT INTO users SELECT g FROM generate_series(1, 2000) g;\n' +
  'CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, total numeric(12,2) NOT NULL, qty int NOT NULL);\n' +
  'INSERT INTO orders SELECT g, 1 + g % 2000, g % 500 + 0.5, g % 7 FROM generate_series(1, 40000) g;\nVACUUM ANALYZE;\n';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-suggest-'));
let before: Report;
let after: Report;
let suggestion: Suggestion;

const stmt = (r: Report, id: string, pick: (s: ReportStatement) => boolean) => r.migrations.find((m) => m.id === id)!.statements.find(pick)!;
const modeOn = (s: ReportStatement, rel: string) => s.strongestLocks.find((l) => l.relation === rel)?.mode;

beforeAll(async () => {
  const dump = path.join(filesIn({ 'data.sql': DATA }), 'data.sql');
  const dir = filesIn({
    '001_total_cents.sql': 'ALTER TABLE orders ADD COLUMN total_cents bigint;\nUPDATE orders SET total_cents = round(total * 100);\nALTER TABLE orders ALTER COLUMN total_cents SET NOT NULL;\n',
    '002_index.sql': '-- an index\nCREATE INDEX orders_user_idx ON orders (user_id);\n',
    '003_fk.sql': 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n',
    '004_check.sql': 'ALTER TABLE orders ADD CHECK (qty >= 0);\n',
  });
  const plan = { ...planOn(dir), load: { kind: 'dump' as const, path: dump } };
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
      '001#1 full-table-update',
      '001#2 set-not-null-scan',
      '002#0 create-index-blocking',
      '003#0 constraint-validated-under-lock',
      '004#0 constraint-validated-under-lock',
    ]);
    expect(fs.readdirSync(suggestion.folder).sort()).toEqual(['001_total_cents.sql', '002_index.sql', '003_fk.sql', '004_check.sql']);
    expect(fs.readFileSync(path.join(suggestion.folder, '002_index.sql'), 'utf8')).toBe('-- an index\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n');
    expect(after.run.status).toBe('passed');
    expect(suggestion.status).toBe('passed');
    expect(after.migrations.every((m) => m.status === 'applied')).toBe(true);
    // the same schema change from the same dataset: the same final schema (column order aside)
    expect(sameSchemaChange(before, after)).toBe(true);
    expect(suggestion.sameSchema).toBe(true);
    expect(after.schemaDiff!.added.map((o) => o.object)).toEqual(before.schemaDiff!.added.map((o) => o.object));
  });

  it('index: ShareLock → ShareUpdateExclusiveLock', () => {
    expect(modeOn(stmt(before, '002', () => true), 'orders')).toBe('ShareLock');
    expect(modeOn(stmt(after, '002', () => true), 'orders')).toBe('ShareUpdateExclusiveLock');
  });

  it('FK and CHECK: the rows are checked under ShareUpdateExclusiveLock (VALIDATE), the strong lock only to add NOT VALID', () => {
    for (const id of ['003', '004']) {
      const validate = stmt(after, id, (s) => /VALIDATE CONSTRAINT/.test(s.sql));
      expect(modeOn(validate, 'orders')).toBe('ShareUpdateExclusiveLock');
      const add = stmt(after, id, (s) => /NOT VALID/.test(s.sql));
      const orig = stmt(before, id, () => true);
      expect(add.durationMs).toBeLessThan(orig.durationMs);
    }
  });

  it('backfill and SET NOT NULL: the table\'s strong lock held < 1 s, shorter than before', () => {
    const strong = (r: Report) => Math.max(...r.migrations.find((m) => m.id === '001')!.statements.filter((s) => modeOn(s, 'orders') === 'AccessExclusiveLock').map((s) => s.lockHeldMs));
    expect(strong(after)).toBeLessThan(1000);
    expect(strong(after)).toBeLessThan(strong(before));
    // the batches ran outside the transaction; the scan for NOT NULL ran under ShareUpdateExclusiveLock
    const batched = stmt(after, '001', (s) => s.sql.startsWith('-- pg-rehearse') || s.sql.startsWith('DO'));
    expect(batched.inTransaction).toBe(false);
    expect(modeOn(stmt(after, '001', (s) => /VALIDATE CONSTRAINT/.test(s.sql)), 'orders')).toBe('ShareUpdateExclusiveLock');
    expect(suggestion.after.blockingLockHoldMs).toBeLessThan(suggestion.before.blockingLockHoldMs);
    expect(suggestion.before.blockingLockHoldMs).toBe(Math.max(...before.migrations.flatMap((m) => m.statements).filter((s) => s.strongestLocks.some((l) => ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'].includes(l.mode))).map((s) => s.lockHeldMs)));
  });
});
