/**
 * Sequences, including the ones behind serial and identity columns (they belong to that column).
 * The last value is state, not structure: carried beside the attributes for hazards, never compared.
 */
import { objectKey } from '../identity.ts';
import type { SequenceAttributes, SequenceObject } from '../types.ts';
import { inSchema, userRelation, type CatalogReader } from './catalog.ts';

/** start … cycle come as the attributes carry them (decimal strings, a boolean). */
type Row = Pick<SequenceAttributes, 'start' | 'increment' | 'min' | 'max' | 'cache' | 'cycle'> & {
  schema: string;
  name: string;
  data_type: string;
  last_value: string | null;
  owner_schema: string | null;
  owner_table: string | null;
  owner_column: string | null;
  identity: boolean | null;
};

const SQL = `
SELECT n.nspname AS schema, c.relname AS name,
  pg_catalog.format_type(s.seqtypid, NULL) AS data_type,
  s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max,
  s.seqcache::text AS cache, s.seqcycle AS cycle,
  CASE WHEN pg_catalog.has_sequence_privilege(c.oid, 'SELECT,USAGE')
       THEN pg_catalog.pg_sequence_last_value(c.oid)::text END AS last_value,
  o.owner_schema, o.owner_table, o.owner_column, o.identity
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT tn.nspname AS owner_schema, tc.relname AS owner_table, a.attname AS owner_column, d.deptype = 'i' AS identity
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
    AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
  LIMIT 1
) o ON true
WHERE c.relkind = 'S' AND ${userRelation()}`;

export function toSequence(row: Row): SequenceObject {
  const ownedBy =
    row.owner_schema !== null && row.owner_table !== null && row.owner_column !== null
      ? objectKey.column(row.owner_schema, row.owner_table, row.owner_column)
      : null;
  const attributes: SequenceObject['attributes'] = {
    dataType: row.data_type,
    start: row.start,
    increment: row.increment,
    min: row.min,
    max: row.max,
    cache: row.cache,
    cycle: row.cycle,
    ownedBy,
    identity: row.identity === true,
  };
  return {
    kind: 'sequence',
    key: objectKey.sequence(row.schema, row.name),
    ...inSchema(row, ownedBy),
    lastValue: row.last_value,
    definition:
      `AS ${row.data_type} INCREMENT ${row.increment} MINVALUE ${row.min} MAXVALUE ${row.max} START ${row.start}` +
      (row.cycle ? ' CYCLE' : '') +
      (ownedBy ? ` OWNED BY ${ownedBy.slice('column:'.length)}` : ''),
    attributes,
  };
}

export async function readSequences(db: CatalogReader): Promise<SequenceObject[]> {
  return (await db.query<Row>(SQL)).map(toSequence);
}
