import { describe, expect, it } from 'vitest';
import { RehearseError } from '../src/core/errors.ts';
import { splitStatements } from '../src/migrations/index.ts';

const summary = async (sql: string, lineOffset?: number) =>
  (await splitStatements(sql, 'm.sql', lineOffset)).map((s) => ({ line: s.line, kind: s.kind, sql: s.sql }));

async function splitError(sql: string, file = 'm.sql', lineOffset?: number): Promise<RehearseError> {
  try {
    await splitStatements(sql, file, lineOffset);
  } catch (err) {
    if (err instanceof RehearseError) return err;
    throw err;
  }
  throw new Error('expected a syntax error');
}

describe('splitStatements', () => {
  it('gives [] for empty scripts and scripts of comments only', async () => {
    expect(await splitStatements('', 'm.sql')).toEqual([]);
    expect(await splitStatements('  \n\n', 'm.sql')).toEqual([]);
    expect(await splitStatements('-- nothing\n/* at\n all */\n;;\n', 'm.sql')).toEqual([]);
  });

  it('splits statements, numbering them and giving each the line of its first token', async () => {
    const sql = [
      '-- header comment', // 1
      'CREATE TABLE t (', // 2
      '  a int', // 3
      ');', // 4
      '', // 5
      '/* a comment', // 6
      '   over several lines; with a semicolon */', // 7
      '', // 8
      "   ALTER TABLE t ADD COLUMN b text; SET lock_timeout = '1s';", // 9
      'BEGIN;', // 10
      'COMMIT;', // 11
    ].join('\n');
    const statements = await splitStatements(sql, 'm.sql');
    expect(statements.map((s) => [s.index, s.line, s.kind])).toEqual([
      [0, 2, 'CreateStmt'],
      [1, 9, 'AlterTableStmt'],
      [2, 9, 'VariableSetStmt'],
      [3, 10, 'TransactionStmt'],
      [4, 11, 'TransactionStmt'],
    ]);
    expect(statements[0]?.sql).toBe('CREATE TABLE t (\n  a int\n)');
    expect(statements[1]?.sql).toBe('ALTER TABLE t ADD COLUMN b text');
    expect(statements[2]?.sql).toBe("SET lock_timeout = '1s'");
  });

  it('keeps a dollar-quoted function body, semicolons and all, in one statement', async () => {
    const sql = [
      'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$', // 1
      'BEGIN', // 2
      '  NEW.updated_at := now();', // 3
      '  RETURN NEW; -- $$ is not the end', // 4
      'END;', // 5
      '$body$;', // 6
      '', // 7
      'DO $$ BEGIN PERFORM 1; END $$;', // 8
      'CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();', // 9
    ].join('\n');
    const statements = await summary(sql);
    expect(statements.map((s) => [s.line, s.kind])).toEqual([
      [1, 'CreateFunctionStmt'],
      [8, 'DoStmt'],
      [9, 'CreateTrigStmt'],
    ]);
    expect(statements[0]?.sql.endsWith('$body$')).toBe(true);
  });

  it('counts lines and cuts text right when the script has multi-byte characters', async () => {
    const sql = "COMMENT ON TABLE t IS 'café ☕ 😀';\nINSERT INTO t VALUES ('ünïcödé');\n\nSELECT 'ok'";
    expect(await summary(sql)).toEqual([
      { line: 1, kind: 'CommentStmt', sql: "COMMENT ON TABLE t IS 'café ☕ 😀'" },
      { line: 2, kind: 'InsertStmt', sql: "INSERT INTO t VALUES ('ünïcödé')" },
      { line: 4, kind: 'SelectStmt', sql: "SELECT 'ok'" },
    ]);
  });

  it('leaves trailing comments out of a last statement without a semicolon', async () => {
    expect(await summary('SELECT 1\n-- the end\n/* really */\n')).toEqual([{ line: 1, kind: 'SelectStmt', sql: 'SELECT 1' }]);
  });

  it('adds the line offset (a section of a larger file)', async () => {
    expect((await summary('\nSELECT 1;', 10)).map((s) => s.line)).toEqual([12]);
  });

  it('marks what PostgreSQL refuses in a transaction block as not transactional', async () => {
    const sql = `
      CREATE INDEX CONCURRENTLY i ON t (a);
      CREATE INDEX i2 ON t (a);
      DROP INDEX CONCURRENTLY IF EXISTS i;
      DROP INDEX i2;
      REINDEX INDEX CONCURRENTLY i;
      REINDEX (CONCURRENTLY false) INDEX i;
      REINDEX TABLE t;
      REINDEX DATABASE;
      VACUUM t;
      VACUUM (ANALYZE) t;
      ANALYZE t;
      CLUSTER;
      CLUSTER t USING i;
      ALTER TABLE p DETACH PARTITION c CONCURRENTLY;
      ALTER TABLE p DETACH PARTITION c;
      CREATE DATABASE d;
      DROP DATABASE d;
      ALTER SYSTEM SET work_mem = '8MB';
      CREATE TABLESPACE ts LOCATION '/tmp/ts';
      DROP TABLESPACE ts;
      ALTER TYPE mood ADD VALUE 'meh';
      DISCARD ALL;
      BEGIN;
      COMMIT;
    `;
    const statements = await splitStatements(sql, 'm.sql');
    expect(statements.map((s) => `${s.transactional ? 'tx' : 'NO'} ${s.sql}`)).toEqual([
      'NO CREATE INDEX CONCURRENTLY i ON t (a)',
      'tx CREATE INDEX i2 ON t (a)',
      'NO DROP INDEX CONCURRENTLY IF EXISTS i',
      'tx DROP INDEX i2',
      'NO REINDEX INDEX CONCURRENTLY i',
      'tx REINDEX (CONCURRENTLY false) INDEX i',
      'tx REINDEX TABLE t',
      'NO REINDEX DATABASE',
      'NO VACUUM t',
      'NO VACUUM (ANALYZE) t',
      'tx ANALYZE t',
      'NO CLUSTER',
      'tx CLUSTER t USING i',
      'NO ALTER TABLE p DETACH PARTITION c CONCURRENTLY',
      'tx ALTER TABLE p DETACH PARTITION c',
      'NO CREATE DATABASE d',
      'NO DROP DATABASE d',
      "NO ALTER SYSTEM SET work_mem = '8MB'",
      "NO CREATE TABLESPACE ts LOCATION '/tmp/ts'",
      'NO DROP TABLESPACE ts',
      "tx ALTER TYPE mood ADD VALUE 'meh'",
      'NO DISCARD ALL',
      'tx BEGIN',
      'tx COMMIT',
    ]);
  });

  it('reports a syntax error as a usage error at file:line', async () => {
    const err = await splitError('SELECT 1;\n\n/* x */ SELECT FROM WHERE;\n', 'db/001_x.sql');
    expect(err.kind).toBe('usage');
    expect(err.message).toBe('db/001_x.sql:3: syntax error at or near "WHERE"');
    expect(err.hint).toBe('fix the migration file');
  });

  it('places a syntax error after multi-byte characters on the right line', async () => {
    const err = await splitError("SELECT '😀😀😀';\nSELECT 'é';\nSELECT 1 1;", 'm.sql', 4);
    expect(err.message).toBe('m.sql:7: syntax error at or near "1"');
  });

  it('reports an unterminated dollar quote where it starts', async () => {
    const err = await splitError('SELECT 1;\nDO $$ BEGIN\nPERFORM 1;\n');
    expect(err.message).toBe('m.sql:2: unterminated dollar-quoted string at or near "$$ BEGIN…"');
  });
});
