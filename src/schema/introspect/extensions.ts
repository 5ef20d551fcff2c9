/** Installed extensions (their member objects are left out of the model everywhere else). */
import { objectKey } from '../identity.ts';
import type { ExtensionObject } from '../types.ts';
import type { CatalogReader } from './catalog.ts';

interface Row {
  name: string;
  version: string;
  schema: string;
}

const SQL = `
SELECT e.extname AS name, e.extversion AS version, n.nspname AS schema
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace`;

export function toExtension(row: Row): ExtensionObject {
  return {
    kind: 'extension',
    key: objectKey.extension(row.name),
    parent: null,
    name: row.name,
    definition: `${row.name} ${row.version} in schema ${row.schema}`,
    attributes: { version: row.version, schema: row.schema },
  };
}

export async function readExtensions(db: CatalogReader): Promise<ExtensionObject[]> {
  return (await db.query<Row>(SQL)).map(toExtension);
}
