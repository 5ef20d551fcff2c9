/** Schemas (namespaces) the user's objects live in. */
import { objectKey } from '../identity.ts';
import type { SchemaNamespace } from '../types.ts';
import { notExtensionMember, userNamespace, type CatalogReader } from './catalog.ts';

interface Row {
  name: string;
}

const SQL = `
SELECT n.nspname AS name
FROM pg_catalog.pg_namespace n
WHERE ${userNamespace('n')} AND ${notExtensionMember('pg_namespace', 'n.oid')}`;

export function toSchema(row: Row): SchemaNamespace {
  return { kind: 'schema', key: objectKey.schema(row.name), parent: null, name: row.name, attributes: {} };
}

export async function readSchemas(db: CatalogReader): Promise<SchemaNamespace[]> {
  return (await db.query<Row>(SQL)).map(toSchema);
}
