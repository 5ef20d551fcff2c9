/**
 * User triggers (not the internal ones behind foreign keys, not the clones a partition gets from
 * a trigger on its partitioned table), by definition and enabled state.
 */
import { relationKey, objectKey } from '../identity.ts';
import type { TriggerEnabled, TriggerObject } from '../types.ts';
import { userRelation, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  table_name: string;
  relkind: string;
  name: string;
  definition: string;
  enabled: string;
}

const SQL = `
SELECT n.nspname AS schema, c.relname AS table_name, c.relkind, t.tgname AS name,
  pg_catalog.pg_get_triggerdef(t.oid) AS definition, t.tgenabled AS enabled
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND ${userRelation()}`;

const enabledStates: Record<string, TriggerEnabled> = { O: 'origin', D: 'disabled', R: 'replica', A: 'always' };

export function toTrigger(row: Row): TriggerObject {
  const table = relationKey(row.relkind, row.schema, row.table_name);
  return {
    kind: 'trigger',
    key: objectKey.trigger(row.schema, row.table_name, row.name),
    parent: table,
    table,
    name: row.name,
    definition: row.definition,
    attributes: { definition: row.definition, enabled: enabledStates[row.enabled] ?? 'origin' },
  };
}

export async function readTriggers(db: CatalogReader): Promise<TriggerObject[]> {
  return (await db.query<Row>(SQL)).map(toTrigger);
}
