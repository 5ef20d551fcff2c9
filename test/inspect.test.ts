import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse } from '../src/rehearsal.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { silentLogger } from '../src/core/log.ts';
import { filesIn, planOn } from './helpers/plan.ts';

const BASE = 'CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, total numeric(12,2) NOT NULL);\n';

describe('rollback rehearsal', () => {
  it("the example's downs restore the starting schema (column order aside)", async () => {
    const { report, exitCode } = await rehearse(
      {
        ...planOn(path.resolve('fixtures/shop/migrations')),
        load: { kind: 'fixture', name: 'shop', scale: 500, seed: 1 },
        inspect: { rollback: true, checkDrift: false },
      },
      silentLogger,
    );
    ReportSchema.parse(report);
    expect(exitCode).toBe(0);
    expect(report.rollback!.restored).toBe(true);
    expect(report.rollback!.diff).toMatchObject({ added: [], removed: [], changed: [] });
    expect(report.rollback!.diff.columnOrderOnly.map((c) => c.table)).toEqual(['table:public.orders']);
    expect(report.rollback!.migrations.map((m) => m.id)).toEqual(['012', '011', '010', '009', '008', '007', '006', '005', '004', '003', '002', '001']);
    expect(report.rollback!.dataLoss.map((w) => w.object)).toEqual(['orders.total_cents', 'orders.priority']);
  });

  it('a broken down is reported precisely: an index left behind, a column re-added with another type', async () => {
    const dump = path.join(filesIn({ 'base.sql': BASE }), 'base.sql');
    const dir = filesIn({
      '002_index.up.sql': 'CREATE INDEX orders_status_idx ON orders (status);\n',
      '002_index.down.sql': '-- forgets the index\nSELECT 1;\n',
      '003_drop_total.up.sql': 'ALTER TABLE orders DROP COLUMN total;\n',
      '003_drop_total.down.sql': 'ALTER TABLE orders ADD COLUMN total numeric NOT NULL DEFAULT 0;\n',
    });
    const { report, exitCode } = await rehearse(
      { ...planOn(dir), load: { kind: 'dump', path: dump }, inspect: { rollback: true, checkDrift: false } },
      silentLogger,
    );
    ReportSchema.parse(report);
    expect(exitCode).toBe(1);
    const rb = report.rollback!;
    expect(rb.restored).toBe(false);
    expect(rb.migrations.map((m) => [m.id, m.status])).toEqual([
      ['003', 'applied'],
      ['002', 'applied'],
    ]);
    expect(rb.diff.added.map((a) => a.object)).toEqual(['index:public.orders_status_idx']);
    expect(rb.diff.removed).toEqual([]);
    expect(rb.diff.changed.map((c) => [c.object, c.attribute, c.before, c.after])).toEqual([
      ['column:public.orders.total', 'default', null, '0'],
      ['column:public.orders.total', 'type', 'numeric(12,2)', 'numeric'],
    ]);
  });

  it('a failing down stops the rollback and says where', async () => {
    const dir = filesIn({
      '001_a.up.sql': 'CREATE TABLE a (id int);\n',
      '001_a.down.sql': 'DROP TABLE a;\n',
      '002_b.up.sql': 'ALTER TABLE a ADD COLUMN b int;\n',
      '002_b.down.sql': 'ALTER TABLE a DROP COLUMN nope;\n',
    });
    const { report, exitCode } = await rehearse({ ...planOn(dir), inspect: { rollback: true, checkDrift: false } }, silentLogger);
    expect(exitCode).toBe(1);
    expect(report.rollback!.migrations.map((m) => [m.id, m.status])).toEqual([
      ['002', 'failed'],
      ['001', 'skipped'],
    ]);
    expect(report.rollback!.migrations[0]!.statements[0]!.error).toMatchObject({ sqlstate: '42703', file: expect.stringContaining('002_b.down.sql'), line: 1 });
  });
});

describe('hazards of the final state', () => {
  it('a CREATE UNIQUE INDEX CONCURRENTLY that fails on duplicates leaves an invalid index, flagged', async () => {
    const dir = filesIn({
      '001_orders.sql': BASE + "INSERT INTO orders VALUES (1, 'paid', 1), (2, 'paid', 2);\n",
      '002_unique_status.sql': 'CREATE UNIQUE INDEX CONCURRENTLY orders_status_key ON orders (status);\n',
    });
    const { report, exitCode } = await rehearse(planOn(dir), silentLogger);
    ReportSchema.parse(report);
    expect(exitCode).toBe(1);
    expect(report.migrations[1]!.statements[0]!.error!.sqlstate).toBe('23505');
    expect(report.migrations[1]!.statements[0]!.error!.detail).toBe('Key (status)=(…) is duplicated.');
    expect(report.schemaHazards).toContainEqual(expect.objectContaining({ kind: 'invalid_index', object: 'index:public.orders_status_key' }));
  });
});

describe('drift', () => {
  it('an index in the dump that no migration creates is reported', async () => {
    const dump = path.join(
      filesIn({
        'prod.sql': [
          BASE,
          'CREATE INDEX orders_hotfix_idx ON orders (status);',
          'CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL);',
          'INSERT INTO schema_migrations VALUES (1, false);',
        ].join('\n'),
      }),
      'prod.sql',
    );
    const dir = filesIn({
      '001_orders.up.sql': BASE,
      '001_orders.down.sql': 'DROP TABLE orders;\n',
      '002_note.up.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
      '002_note.down.sql': 'ALTER TABLE orders DROP COLUMN note;\n',
    });
    const { report, exitCode } = await rehearse(
      { ...planOn(dir), load: { kind: 'dump', path: dump }, inspect: { rollback: false, checkDrift: true } },
      silentLogger,
    );
    ReportSchema.parse(report);
    expect(exitCode).toBe(0);
    expect(report.migrations.map((m) => m.id)).toEqual(['002']);
    expect(report.drift!.drifted).toBe(true);
    expect(report.drift!.diff.added.map((a) => a.object)).toEqual(['index:public.orders_hotfix_idx']);
    expect(report.drift!.diff.removed).toEqual([]);
    expect(report.drift!.ignored).toContain('table:public.schema_migrations');
  });
});

describe('expected schema', () => {
  it('matches when the final schema is the expected one, and lists the differences otherwise', async () => {
    const dir = filesIn({ '001_orders.sql': BASE, '002_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n' });
    const same = path.join(filesIn({ 'expected.sql': BASE.replace(');', ', note text);') }), 'expected.sql');
    const ok = await rehearse({ ...planOn(dir), inspect: { rollback: false, checkDrift: false, expectSchema: same } }, silentLogger);
    expect(ok.report.expectedSchema).toMatchObject({ matches: true });
    const other = path.join(filesIn({ 'expected.sql': BASE.replace(');', ', note varchar(100));') }), 'expected.sql');
    const diff = await rehearse({ ...planOn(dir), inspect: { rollback: false, checkDrift: false, expectSchema: other } }, silentLogger);
    expect(diff.report.expectedSchema!.matches).toBe(false);
    expect(diff.report.expectedSchema!.diff.changed).toEqual([
      expect.objectContaining({ object: 'column:public.orders.note', attribute: 'type', before: 'character varying(100)', after: 'text' }),
    ]);
  });
});
