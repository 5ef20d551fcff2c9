/**
 * Indexes of tables and materialized views: definition (pg_get_indexdef), validity and readiness
 * (a failed CREATE INDEX CONCURRENTLY leaves an invalid one behind), and which partitioned index a
 * partition's index is attached to. An index that enforces a primary key, unique or exclusion
 * constraint belongs to that constraint (`parent`), so adding the constraint is one difference.
 */
import { objectKey, relationKey } from '../identity.ts';
import type { IndexObject } from '../types.ts';
import { userRelation, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  name: string;
  table_schema: string;
  table_name: string;
  relkind: string;
  definition: string;
  unique: boolean;
  primary: boolean;
  valid: boolean;
  ready: boolean;
  predicate: string | null;
  key_columns: (string | null)[];
  constraint_name: string | null;
  attached_schema: string | null;
  attached_name: string | null;
}

const SQL = `
SELECT ins.nspname AS schema, ic.relname AS name, n.nspname AS table_schema, c.relname AS table_name, c.relkind,
  pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
  i.indisunique AS unique, i.indisprimary AS primary, i.indisvalid AS valid, i.indisready AS ready,
  pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS predicate,
  (SELECT array_agg(a.attname ORDER BY k.ord)::text[]
     FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
    WHERE k.ord <= i.indnkeyatts) AS key_columns,
  (SELECT con.conname FROM pg_catalog.pg_constraint con
    WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
      AND con.contype IN ('p', 'u', 'x') AND con.conparentid = 0
    LIMIT 1) AS constraint_name,
  pin.nspname AS attached_schema, pic.relname AS attached_name
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace ins ON ins.oid = ic.relnamespace
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = i.indexrelid
LEFT JOIN pg_catalog.pg_class pic ON pic.oid = inh.inhparent
LEFT JOIN pg_catalog.pg_namespace pin ON pin.oid = pic.relnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'f') AND ${userRelation()}`;

export function toIndex(row: Row): IndexObject {
  const table = relationKey(row.relkind, row.table_schema, row.table_name);
  const attachedTo = row.attached_schema !== null && row.attached_name !== null ? objectKey.index(row.attached_schema, row.attached_name) : null;
  return {
    kind: 'index',
    key: objectKey.index(row.schema, row.name),
    parent: row.constraint_name !== null ? objectKey.constraint(row.table_schema, row.table_name, row.constraint_name) : table,
    table,
    name: row.name,
    unique: row.unique,
    primary: row.primary,
    predicate: row.predicate,
    keyColumns: row.key_columns,
    definition: row.definition,
    attributes: { definition: row.definition, valid: row.valid, ready: row.ready, attachedTo },
  };
}

export async function readIndexes(db: CatalogReader): Promise<IndexObject[]> {
  return (await db.query<Row>(SQL)).map(toIndex);
}
