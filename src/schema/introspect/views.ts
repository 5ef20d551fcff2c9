/** Views and materialized views, by their definition (pg_get_viewdef, names fully qualified). */
import { objectKey } from '../identity.ts';
import type { MaterializedViewObject, ViewObject } from '../types.ts';
import { inSchema, sorted, userRelation, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  name: string;
  relkind: string;
  definition: string;
  options: string[];
  populated: boolean;
}

const SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind,
  pg_catalog.pg_get_viewdef(c.oid) AS definition,
  coalesce(c.reloptions, '{}')::text[] AS options,
  c.relispopulated AS populated
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND ${userRelation()}`;

export function toView(row: Row): ViewObject | MaterializedViewObject {
  const common = { ...inSchema(row), definition: row.definition.trim() };
  const attributes = { definition: row.definition.trim(), options: sorted(row.options) };
  if (row.relkind === 'm') {
    return {
      kind: 'materialized_view',
      key: objectKey.materializedView(row.schema, row.name),
      ...common,
      attributes: { ...attributes, populated: row.populated },
    };
  }
  return { kind: 'view', key: objectKey.view(row.schema, row.name), ...common, attributes };
}

export async function readViews(db: CatalogReader): Promise<(ViewObject | MaterializedViewObject)[]> {
  return (await db.query<Row>(SQL)).map(toView);
}
