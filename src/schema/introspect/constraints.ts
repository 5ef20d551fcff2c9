/**
 * Table constraints: primary key, foreign key, unique, check, exclusion, with their definition
 * and whether they were validated. A check constraint a table inherits belongs to its parent's too
 * (`inheritedFrom`). Left out: the copies a partition gets of its partitioned table's primary key,
 * unique and foreign keys (conparentid: PostgreSQL makes and names them), NOT NULL
 * constraints (PostgreSQL 18 lists them here; the column's `notNull` says it), and constraint
 * triggers (listed as triggers).
 */
import { objectKey } from '../identity.ts';
import type { ConstraintObject, ConstraintType, ForeignKeyAction } from '../types.ts';
import { userRelation, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  table_name: string;
  name: string;
  contype: string;
  definition: string;
  validated: boolean;
  confupdtype: string;
  confdeltype: string;
  ref_schema: string | null;
  ref_name: string | null;
  columns: string[] | null;
  /** [schema, table] of the first parent with a constraint of this name, for an inherited one */
  inherited_from: [string, string] | null;
}

const SQL = `
SELECT n.nspname AS schema, c.relname AS table_name, con.conname AS name, con.contype,
  pg_catalog.pg_get_constraintdef(con.oid) AS definition,
  con.convalidated AS validated, con.confupdtype, con.confdeltype,
  fn.nspname AS ref_schema, fc.relname AS ref_name,
  (SELECT array_agg(a.attname ORDER BY k.ord)::text[]
     FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
  CASE WHEN con.coninhcount > 0 THEN (
    SELECT json_build_array(pn.nspname, pc.relname)
    FROM pg_catalog.pg_inherits i
    JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
    JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
    JOIN pg_catalog.pg_constraint pcon ON pcon.conrelid = i.inhparent AND pcon.conname = con.conname
    WHERE i.inhrelid = con.conrelid
    ORDER BY i.inhseqno LIMIT 1) END AS inherited_from
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'f', 'u', 'c', 'x') AND con.conparentid = 0 AND ${userRelation()}`;

const types: Record<string, ConstraintType> = { p: 'primary key', f: 'foreign key', u: 'unique', c: 'check', x: 'exclusion' };
const actions: Record<string, ForeignKeyAction> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

const NOT_VALID = / NOT VALID$/;

export function toConstraint(row: Row): ConstraintObject {
  const table = objectKey.table(row.schema, row.table_name);
  const foreign = row.contype === 'f';
  return {
    kind: 'constraint',
    key: objectKey.constraint(row.schema, row.table_name, row.name),
    parent: table,
    table,
    name: row.name,
    constraintType: types[row.contype] ?? 'check',
    columns: row.columns ?? [],
    references: foreign && row.ref_schema !== null && row.ref_name !== null ? objectKey.table(row.ref_schema, row.ref_name) : null,
    onUpdate: foreign ? (actions[row.confupdtype] ?? null) : null,
    onDelete: foreign ? (actions[row.confdeltype] ?? null) : null,
    inheritedFrom: row.inherited_from ? objectKey.constraint(row.inherited_from[0], row.inherited_from[1], row.name) : null,
    definition: row.definition,
    attributes: { definition: row.definition.replace(NOT_VALID, ''), validated: row.validated },
  };
}

export async function readConstraints(db: CatalogReader): Promise<ConstraintObject[]> {
  return (await db.query<Row>(SQL)).map(toConstraint);
}
