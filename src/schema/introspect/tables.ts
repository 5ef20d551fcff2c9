/** Tables: ordinary, partitioned and foreign; partitioning, inheritance, persistence, RLS switches. */
import { objectKey } from '../identity.ts';
import type { Persistence, TableKind, TableObject } from '../types.ts';
import { inSchema, sorted, userRelation, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  name: string;
  relkind: string;
  relpersistence: string;
  partition_key: string | null;
  parent_schema: string | null;
  parent_name: string | null;
  partition_bound: string | null;
  /** [schema, name] pairs in inhseqno order (non-partition parents only) */
  inherits: [string, string][];
  options: string[];
  access_method: string | null;
  rowsecurity: boolean;
  forcerowsecurity: boolean;
}

const SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind, c.relpersistence,
  CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
  pn.nspname AS parent_schema, pc.relname AS parent_name,
  CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
  (SELECT coalesce(json_agg(json_build_array(ipn.nspname, ipc.relname) ORDER BY i.inhseqno), '[]')
     FROM pg_catalog.pg_inherits i
     JOIN pg_catalog.pg_class ipc ON ipc.oid = i.inhparent
     JOIN pg_catalog.pg_namespace ipn ON ipn.oid = ipc.relnamespace
    WHERE i.inhrelid = c.oid AND NOT c.relispartition) AS inherits,
  coalesce(c.reloptions, '{}')::text[] AS options,
  am.amname AS access_method,
  c.relrowsecurity AS rowsecurity, c.relforcerowsecurity AS forcerowsecurity
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
LEFT JOIN pg_catalog.pg_inherits pi ON c.relispartition AND pi.inhrelid = c.oid
LEFT JOIN pg_catalog.pg_class pc ON pc.oid = pi.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relkind IN ('r', 'p', 'f') AND ${userRelation()}`;

const tableKinds: Record<string, TableKind> = { r: 'table', p: 'partitioned table', f: 'foreign table' };
const persistences: Record<string, Persistence> = { p: 'permanent', u: 'unlogged', t: 'temporary' };

export function toTable(row: Row): TableObject {
  const partitionOf = row.parent_schema !== null && row.parent_name !== null ? objectKey.table(row.parent_schema, row.parent_name) : null;
  const attributes: TableObject['attributes'] = {
    tableKind: tableKinds[row.relkind] ?? 'table',
    persistence: persistences[row.relpersistence] ?? 'permanent',
    partitionKey: row.partition_key,
    partitionOf,
    partitionBound: row.partition_bound,
    inherits: row.inherits.map(([s, t]) => objectKey.table(s, t)),
    options: sorted(row.options),
    accessMethod: row.access_method,
    rowSecurity: row.rowsecurity,
    forceRowSecurity: row.forcerowsecurity,
  };
  return {
    kind: 'table',
    key: objectKey.table(row.schema, row.name),
    // a partition goes away with its partitioned table (DROP TABLE drops the partitions too)
    ...inSchema(row, partitionOf),
    definition: describeTable(attributes),
    attributes,
  };
}

function describeTable(a: TableObject['attributes']): string {
  const parts: string[] = [a.persistence === 'permanent' ? a.tableKind : `${a.persistence} ${a.tableKind}`];
  if (a.partitionOf) parts.push(`partition of ${a.partitionOf.slice('table:'.length)} ${a.partitionBound ?? ''}`.trim());
  if (a.partitionKey) parts.push(`PARTITION BY ${a.partitionKey}`);
  if (a.inherits.length > 0) parts.push(`INHERITS (${a.inherits.map((k) => k.slice('table:'.length)).join(', ')})`);
  return parts.join(' ');
}

export async function readTables(db: CatalogReader): Promise<TableObject[]> {
  return (await db.query<Row>(SQL)).map(toTable);
}
