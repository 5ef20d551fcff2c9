/**
 * Columns of tables (not of views: a view's columns follow from its definition). A column a
 * partition or inheritance child has from its parent belongs to the parent's column too
 * (`inheritedFrom`): adding a column to a partitioned table is one difference, not one per partition.
 */
import { objectKey } from '../identity.ts';
import type { ColumnObject, GeneratedKind, IdentityKind } from '../types.ts';
import { userRelation, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  table_name: string;
  name: string;
  position: number;
  type: string;
  not_null: boolean;
  default: string | null;
  identity: string;
  generated: string;
  collation: string | null;
  /** [schema, table] of the first parent that has a column of this name, for an inherited column */
  inherited_from: [string, string] | null;
}

const sql = (versionNum: number) => `
SELECT n.nspname AS schema, c.relname AS table_name, a.attname AS name,
  (row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum))::int AS position,
  pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
  a.attnotnull AS not_null,
  pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default,
  a.attidentity AS identity,
  ${versionNum >= 120000 ? 'a.attgenerated' : '\'\'::"char"'} AS generated,
  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
       THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
  CASE WHEN a.attinhcount > 0 THEN (
    SELECT json_build_array(pn.nspname, pc.relname)
    FROM pg_catalog.pg_inherits i
    JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
    JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
    JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname AND NOT pa.attisdropped
    WHERE i.inhrelid = a.attrelid
    ORDER BY i.inhseqno LIMIT 1) END AS inherited_from
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND ${userRelation()}`;

const identities: Record<string, IdentityKind> = { a: 'always', d: 'by default' };
const generatedKinds: Record<string, GeneratedKind> = { s: 'stored', v: 'virtual' };

export function toColumn(row: Row): ColumnObject {
  const table = objectKey.table(row.schema, row.table_name);
  const attributes: ColumnObject['attributes'] = {
    type: row.type,
    notNull: row.not_null,
    default: row.default,
    identity: identities[row.identity] ?? null,
    generated: generatedKinds[row.generated] ?? null,
    collation: row.collation,
  };
  return {
    kind: 'column',
    key: objectKey.column(row.schema, row.table_name, row.name),
    parent: table,
    table,
    name: row.name,
    position: row.position,
    inheritedFrom: row.inherited_from ? objectKey.column(row.inherited_from[0], row.inherited_from[1], row.name) : null,
    definition: describeColumn(attributes),
    attributes,
  };
}

export function describeColumn(a: ColumnObject['attributes']): string {
  const parts = [a.type];
  if (a.collation) parts.push(`COLLATE ${a.collation}`);
  if (a.notNull) parts.push('NOT NULL');
  if (a.generated) parts.push(`GENERATED ALWAYS AS (${a.default ?? ''})${a.generated === 'stored' ? ' STORED' : ' VIRTUAL'}`);
  else if (a.default !== null) parts.push(`DEFAULT ${a.default}`);
  if (a.identity) parts.push(`GENERATED ${a.identity.toUpperCase()} AS IDENTITY`);
  return parts.join(' ');
}

export async function readColumns(db: CatalogReader): Promise<ColumnObject[]> {
  return (await db.query<Row>(sql(db.versionNum))).map(toColumn);
}
