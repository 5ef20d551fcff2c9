/** Row-level security policies (whether RLS is enabled is a table attribute). */
import { objectKey } from '../identity.ts';
import type { PolicyCommand, PolicyObject } from '../types.ts';
import { sorted, userRelation, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  table_name: string;
  name: string;
  command: string;
  permissive: boolean;
  roles: string[];
  using: string | null;
  with_check: string | null;
}

const SQL = `
SELECT n.nspname AS schema, c.relname AS table_name, p.polname AS name, p.polcmd AS command,
  p.polpermissive AS permissive,
  (SELECT coalesce(array_agg(CASE WHEN r.oid = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r.oid)::text END), '{}')
     FROM unnest(p.polroles) AS r(oid)) AS roles,
  pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using,
  pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE ${userRelation()}`;

const commands: Record<string, PolicyCommand> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

export function toPolicy(row: Row): PolicyObject {
  const table = objectKey.table(row.schema, row.table_name);
  const attributes: PolicyObject['attributes'] = {
    command: commands[row.command] ?? 'ALL',
    permissive: row.permissive,
    roles: sorted(row.roles),
    using: row.using,
    withCheck: row.with_check,
  };
  return {
    kind: 'policy',
    key: objectKey.policy(row.schema, row.table_name, row.name),
    parent: table,
    table,
    name: row.name,
    definition:
      `AS ${attributes.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${attributes.command} TO ${attributes.roles.join(', ')}` +
      (attributes.using !== null ? ` USING (${attributes.using})` : '') +
      (attributes.withCheck !== null ? ` WITH CHECK (${attributes.withCheck})` : ''),
    attributes,
  };
}

export async function readPolicies(db: CatalogReader): Promise<PolicyObject[]> {
  return (await db.query<Row>(SQL)).map(toPolicy);
}
