import type { Node } from 'libpg-query';

/**
 * Which statements PostgreSQL refuses inside a transaction block ("... cannot run inside a
 * transaction block"). The replay runs these on their own, outside the migration's transaction.
 * The list (documented in docs/migration-formats.md):
 *
 * - CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY
 * - REINDEX ... CONCURRENTLY, REINDEX SCHEMA / DATABASE / SYSTEM
 * - VACUUM (ANALYZE alone is fine)
 * - CLUSTER without a table
 * - ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY
 * - CREATE DATABASE, DROP DATABASE, ALTER DATABASE ... SET TABLESPACE
 * - CREATE TABLESPACE, DROP TABLESPACE
 * - ALTER SYSTEM
 * - DISCARD ALL
 * - COMMIT PREPARED, ROLLBACK PREPARED
 * - CREATE SUBSCRIPTION (unless it creates no slot), DROP SUBSCRIPTION (it may drop a slot)
 * - DO blocks that COMMIT or ROLLBACK (a batched backfill): transaction control in a DO block is only
 *   allowed outside a transaction block ("invalid transaction termination" inside one)
 *
 * Everything else is transactional, including ALTER TYPE ... ADD VALUE (allowed since PostgreSQL 12).
 */

/** The node's name (its single key), e.g. 'AlterTableStmt'. */
export function nodeKind(node: Node): string {
  return Object.keys(node)[0] ?? 'Unknown';
}

type Fields = Record<string, unknown>;

/** The fields of a node whose kind is `kind`, or undefined when it is another kind. */
function fieldsOf(node: unknown, kind: string): Fields | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const inner = (node as Fields)[kind];
  return typeof inner === 'object' && inner !== null ? (inner as Fields) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A DefElem option as PostgreSQL's defGetBoolean reads it (no argument means true). */
function optionValue(options: unknown, name: string): boolean | undefined {
  for (const option of list(options)) {
    const def = fieldsOf(option, 'DefElem');
    if (!def || def['defname'] !== name) continue;
    const arg = def['arg'];
    if (arg === undefined) return true;
    const integer = fieldsOf(arg, 'Integer');
    // protobuf JSON leaves out zero values: { Integer: {} } is 0
    if (integer) return (integer['ival'] ?? 0) !== 0;
    const text = fieldsOf(arg, 'String')?.['sval'];
    if (typeof text === 'string') return !['false', 'off', 'no', '0'].includes(text.toLowerCase());
    const bool = fieldsOf(arg, 'Boolean');
    if (bool) return Boolean(bool['boolval']);
    return true;
  }
  return undefined;
}

type Rule = (fields: Fields) => boolean;

/** For each node kind, a rule returning true when that statement cannot run in a transaction block. */
const refusedInTransaction: Record<string, Rule> = {
  IndexStmt: (f) => f['concurrent'] === true,
  DropStmt: (f) => f['concurrent'] === true,
  ReindexStmt: (f) =>
    optionValue(f['params'], 'concurrently') === true ||
    ['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM'].includes(String(f['kind'])),
  VacuumStmt: (f) => f['is_vacuumcmd'] === true,
  ClusterStmt: (f) => f['relation'] === undefined,
  AlterTableStmt: (f) =>
    list(f['cmds']).some((cmd) => {
      const c = fieldsOf(cmd, 'AlterTableCmd');
      return c?.['subtype'] === 'AT_DetachPartition' && fieldsOf(c['def'], 'PartitionCmd')?.['concurrent'] === true;
    }),
  CreatedbStmt: () => true,
  DropdbStmt: () => true,
  AlterDatabaseStmt: (f) => optionValue(f['options'], 'tablespace') !== undefined,
  CreateTableSpaceStmt: () => true,
  DropTableSpaceStmt: () => true,
  AlterSystemStmt: () => true,
  DiscardStmt: (f) => f['target'] === 'DISCARD_ALL',
  TransactionStmt: (f) => f['kind'] === 'TRANS_STMT_COMMIT_PREPARED' || f['kind'] === 'TRANS_STMT_ROLLBACK_PREPARED',
  CreateSubscriptionStmt: (f) => optionValue(f['options'], 'create_slot') !== false && optionValue(f['options'], 'connect') !== false,
  DropSubscriptionStmt: () => true,
  DoStmt: (f) =>
    list(f['args']).some((arg) => {
      const body = fieldsOf(fieldsOf(arg, 'DefElem')?.['arg'], 'String')?.['sval'];
      // comments and string literals aside, a COMMIT or ROLLBACK statement in the body
      return (
        typeof body === 'string' &&
        /(^|;|\bLOOP|\bTHEN|\bELSE|\bBEGIN)\s*(COMMIT|ROLLBACK)\s*;/i.test(body.replace(/--[^\n]*/g, '').replace(/'(?:[^']|'')*'/g, "''"))
      );
    }),
};

/** false when PostgreSQL refuses the statement inside a transaction block. */
export function isTransactional(node: Node): boolean {
  const kind = nodeKind(node);
  const rule = refusedInTransaction[kind];
  const fields = fieldsOf(node, kind);
  return !(rule && fields && rule(fields));
}
