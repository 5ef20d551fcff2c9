/** Enum types and their labels, in sort order. */
import { objectKey } from '../identity.ts';
import type { EnumObject } from '../types.ts';
import { inSchema, notExtensionMember, userNamespace, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  name: string;
  labels: string[];
}

const SQL = `
SELECT n.nspname AS schema, t.typname AS name,
  (SELECT coalesce(array_agg(e.enumlabel::text ORDER BY e.enumsortorder), '{}')
     FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND ${userNamespace('n')} AND ${notExtensionMember('pg_type', 't.oid')}`;

export function toEnum(row: Row): EnumObject {
  return {
    kind: 'enum',
    key: objectKey.enum(row.schema, row.name),
    ...inSchema(row),
    definition: `ENUM (${row.labels.map((l) => `'${l.replaceAll("'", "''")}'`).join(', ')})`,
    attributes: { labels: row.labels },
  };
}

export async function readEnums(db: CatalogReader): Promise<EnumObject[]> {
  return (await db.query<Row>(SQL)).map(toEnum);
}
