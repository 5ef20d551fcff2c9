import type { Migration, Statement } from '../../src/migrations/types.ts';

const NON_TRANSACTIONAL = /^\s*(create\s+(unique\s+)?index\s+concurrently|drop\s+index\s+concurrently|reindex\s+.*concurrently|vacuum)\b/i;

/**
 * A migration built by hand from statements (one per array item, starting at the given lines),
 * for tests of later stages that should not depend on the file readers.
 */
export function migrationOf(id: string, statements: string[], options: { inTransaction?: boolean; file?: string } = {}): Migration {
  let line = 1;
  const stmts: Statement[] = statements.map((sql, index) => {
    const s: Statement = {
      index,
      sql,
      line,
      kind: /^\s*(begin|commit|rollback|start)/i.test(sql) ? 'TransactionStmt' : 'Unknown',
      transactional: !NON_TRANSACTIONAL.test(sql),
    };
    line += sql.split('\n').length;
    return s;
  });
  return {
    id,
    name: `m${id}`,
    format: 'plain',
    pending: true,
    up: { file: options.file ?? `${id}_m.sql`, statements: stmts, inTransaction: options.inTransaction ?? true },
  };
}
