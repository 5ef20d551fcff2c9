import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RehearseError } from '../src/core/errors.ts';
import { compareVersions, readMigrations, type MigrationSet } from '../src/migrations/index.ts';

const fixture = (name: string) => path.join('test/fixtures-migrations', name);

async function readError(folder: string): Promise<RehearseError> {
  try {
    await readMigrations(folder, {});
  } catch (err) {
    if (err instanceof RehearseError) return err;
    throw err;
  }
  throw new Error(`expected ${folder} to be refused`);
}

const outline = (set: MigrationSet) =>
  set.migrations.map((m) => ({
    id: m.id,
    name: m.name,
    up: path.basename(m.up.file),
    down: m.down && path.basename(m.down.file),
  }));

describe('compareVersions', () => {
  it('compares numerically, part by part', () => {
    expect(compareVersions('2', '10')).toBeLessThan(0);
    expect(compareVersions('1.2', '1.10')).toBeLessThan(0);
    expect(compareVersions('001', '1')).toBe(0);
    expect(compareVersions('1.0', '1')).toBe(0);
    expect(compareVersions('2_1', '2.1')).toBe(0);
    expect(compareVersions('20240215093000', '20240101120000')).toBeGreaterThan(0);
  });
});

describe('readMigrations: layouts', () => {
  it('reads the plain layout in numeric order, with an optional .down.sql', async () => {
    const set = await readMigrations(fixture('plain'), {});
    expect(set.format).toBe('plain');
    expect(set.folder).toBe(fixture('plain'));
    expect(set.trackingTable).toBeNull();
    expect(outline(set)).toEqual([
      { id: '1', name: 'create_users', up: '1_create_users.sql', down: undefined },
      { id: '2', name: 'add_name', up: '2_add_name.sql', down: '2_add_name.down.sql' },
      { id: '10', name: 'index_email', up: '10_index_email.sql', down: undefined },
    ]);
    expect(set.migrations.every((m) => m.pending && m.format === 'plain' && m.up.inTransaction)).toBe(true);
    expect(set.migrations[0]?.up.file).toBe(path.join(fixture('plain'), '1_create_users.sql'));
    const index = set.migrations[2]?.up.statements;
    expect(index).toEqual([
      {
        index: 0,
        sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email)',
        line: 2,
        kind: 'IndexStmt',
        transactional: false,
      },
    ]);
  });

  it('reads golang-migrate up/down pairs in numeric order', async () => {
    const set = await readMigrations(fixture('golang-migrate'), {});
    expect(set.format).toBe('golang-migrate');
    expect(outline(set)).toEqual([
      { id: '1', name: 'create_orders', up: '1_create_orders.up.sql', down: '1_create_orders.down.sql' },
      { id: '2', name: 'add_status', up: '2_add_status.up.sql', down: '2_add_status.down.sql' },
      { id: '10', name: 'vacuum', up: '10_vacuum.up.sql', down: undefined },
    ]);
    expect(set.migrations[2]?.up.statements.map((s) => [s.kind, s.line, s.transactional])).toEqual([
      ['VacuumStmt', 1, false],
      ['VacuumStmt', 2, true],
    ]);
  });

  it('reads Flyway versions (1 < 1.2 < 1.10 < 2_1), undo files as downs, and skips repeatables', async () => {
    const set = await readMigrations(fixture('flyway'), {});
    expect(set.format).toBe('flyway');
    expect(outline(set)).toEqual([
      { id: '1', name: 'init', up: 'V1__init.sql', down: undefined },
      { id: '1.2', name: 'add_price', up: 'V1.2__add_price.sql', down: 'U1.2__add_price.sql' },
      { id: '1.10', name: 'add_sku', up: 'V1.10__add_sku.sql', down: undefined },
      { id: '2.1', name: 'sku_index', up: 'V2_1__sku_index.sql', down: undefined },
    ]);
    expect(set.migrations[3]?.up.statements[0]?.transactional).toBe(false);
  });

  it('tells dbmate from plain by its markers, and numbers lines in the whole file', async () => {
    const set = await readMigrations(fixture('dbmate'), {});
    expect(set.format).toBe('dbmate');
    expect(outline(set).map((m) => [m.id, m.name])).toEqual([
      ['20240101120000', 'create_accounts'],
      ['20240215093000', 'balance_index'],
      ['20240301000000', 'note'],
    ]);
    const [create, index, note] = set.migrations;
    expect(create?.up.statements.map((s) => [s.line, s.kind])).toEqual([[2, 'CreateStmt']]);
    expect(create?.up.inTransaction).toBe(true);
    // the down section starts at line 7, after a multi-line comment
    expect(create?.down?.statements.map((s) => [s.line, s.sql])).toEqual([[10, 'DROP TABLE accounts']]);
    expect(create?.down?.file).toBe(create?.up.file);
    expect(index?.up.inTransaction).toBe(false);
    expect(index?.down?.inTransaction).toBe(false);
    expect(index?.up.statements.map((s) => [s.line, s.transactional])).toEqual([[2, false]]);
    expect(index?.down?.statements.map((s) => [s.line, s.kind, s.transactional])).toEqual([[5, 'DropStmt', false]]);
    expect(note?.down).toBeUndefined();
  });
});

describe('readMigrations: refused folders', () => {
  const hintNamesLayouts = (err: RehearseError) => {
    expect(err.hint).toMatch(/plain.*golang-migrate.*Flyway.*dbmate/);
  };

  it('a folder that does not exist', async () => {
    const err = await readError(fixture('no-such-folder'));
    expect(err.kind).toBe('usage');
    expect(err.message).toContain('no-such-folder does not exist');
  });

  it('a folder without .sql files', async () => {
    const err = await readError(fixture('no-sql'));
    expect(err.kind).toBe('usage');
    expect(err.message).toBe(`no .sql migration files in ${fixture('no-sql')}`);
    hintNamesLayouts(err);
  });

  it('file names of no known layout', async () => {
    const err = await readError(fixture('unknown'));
    expect(err.kind).toBe('usage');
    expect(err.message).toBe(`cannot tell the migration layout of ${fixture('unknown')}: add_column.sql matches none of the accepted file names`);
    hintNamesLayouts(err);
  });

  it('a file that does not fit the layout of the others', async () => {
    const err = await readError(fixture('mixed'));
    expect(err.message).toBe(`${fixture('mixed')}: 002_b.sql does not fit the golang-migrate layout of the other files`);
    hintNamesLayouts(err);
  });

  it('a dbmate folder with a file lacking the up marker', async () => {
    const err = await readError(fixture('dbmate-missing-marker'));
    expect(err.message).toContain('20240102000000_b.sql has no "-- migrate:up" line');
  });

  it('a statement before the dbmate up marker', async () => {
    const err = await readError(fixture('dbmate-stray-statement'));
    expect(err.message).toMatch(/20240101000000_a\.sql:2: statement before "-- migrate:up"/);
  });

  it('two files with the same version', async () => {
    const err = await readError(fixture('duplicate-version'));
    expect(err.message).toBe(`${fixture('duplicate-version')}: 001_a.sql and 1_b.sql are both the up migration of version 1`);
  });

  it('a down file without its up', async () => {
    const err = await readError(fixture('down-without-up'));
    expect(err.message).toContain('002_b.down.sql is a down migration without an up migration of version 002');
  });

  it('a syntax error, at file:line', async () => {
    const err = await readError(fixture('syntax-error'));
    expect(err.kind).toBe('usage');
    expect(err.message).toBe(`${path.join(fixture('syntax-error'), '001_broken.sql')}:7: syntax error at or near ";"`);
    expect(err.hint).toBe('fix the migration file');
  });
});
