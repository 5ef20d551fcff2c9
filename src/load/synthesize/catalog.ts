import pg from 'pg';
import type { CatalogColumn, CatalogConstraint, CatalogIndex, CatalogTable, SynthCatalog, TypeInfo } from './types.ts';

/**
 * What generation needs from the catalog and the schema model does not carry: each column's type
 * resolved through domains, arrays, ranges and composites down to a family, the referenced columns
 * of foreign keys, which indexes belong to constraints. Read with search_path = pg_catalog so
 * every user type and expression comes back schema-qualified.
 */

const USER_NAMESPACE = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;
const NOT_EXTENSION = (oid: string) => `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

const TABLES = `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind, c.relispartition AS partition
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND ${USER_NAMESPACE} AND ${NOT_EXTENSION('c.oid')}
 ORDER BY n.nspname, c.relname`;

const COLUMNS = `
SELECT a.attrelid::int8 AS rel, a.attname AS name, a.atttypid::int8 AS type, a.atttypmod AS typmod, a.attnotnull AS not_null,
       CASE WHEN a.attidentity = '' AND a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default,
       a.attidentity AS identity, a.attgenerated <> '' AS generated,
       pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) AS sequence
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum`;

const CONSTRAINTS = `
SELECT con.conrelid::int8 AS rel, con.conname AS name, con.contype AS type, pg_get_constraintdef(con.oid) AS definition,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns,
       CASE WHEN con.contype = 'f' THEN fn.nspname || '.' || fc.relname END AS ref_table,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS ref_columns
  FROM pg_constraint con
  LEFT JOIN pg_class fc ON fc.oid = con.confrelid
  LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
 WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('p', 'u', 'f', 'c', 'x') AND con.conparentid = 0
 ORDER BY con.conrelid, con.conname`;

const INDEXES = `
SELECT x.indrelid::int8 AS rel, i.relname AS name, x.indisunique AS unique, pg_get_indexdef(x.indexrelid) AS definition,
       pg_get_expr(x.indpred, x.indrelid) AS predicate,
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o) LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n AND k.n > 0 WHERE k.o <= x.indnkeyatts ORDER BY k.o)::text[] AS columns,
       EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x')) AS constraint
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
 WHERE x.indrelid = ANY($1::oid[])
 ORDER BY x.indrelid, i.relname`;

const TYPES = `
SELECT t.oid::int8 AS oid, n.nspname AS schema, t.typname AS name, t.typtype AS typtype, t.typcategory AS category,
       t.typelem::int8 AS elem, t.typbasetype::int8 AS base, t.typtypmod AS basetypmod, t.typrelid::int8 AS relid,
       format_type(t.oid, NULL) AS sql,
       EXISTS (SELECT 1 FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') AS domain_checks,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels,
       (SELECT r.rngsubtype::int8 FROM pg_range r WHERE r.rngtypid = t.oid) AS range_subtype,
       %MULTI% AS multirange_of
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype <> 'p'`;

const FIELDS = `
SELECT c.reltype::int8 AS type, a.attname AS name, a.atttypid::int8 AS field_type, a.atttypmod AS typmod
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.relkind = 'c' AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY c.oid, a.attnum`;

interface TypeRow {
  oid: string;
  schema: string;
  name: string;
  typtype: string;
  category: string;
  elem: string;
  base: string;
  basetypmod: number;
  relid: string;
  sql: string;
  domain_checks: boolean;
  labels: string[];
  range_subtype: string | null;
  multirange_of: string | null;
}

export async function readSynthCatalog(url: string): Promise<SynthCatalog> {
  const client = new pg.Client({ connectionString: url, application_name: 'pg-rehearse synthesize' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query('SET LOCAL search_path = pg_catalog');
    const versionNum = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
    const tables = (await client.query<{ oid: string; schema: string; name: string; relkind: string; partition: boolean }>(TABLES)).rows;
    const oids = tables.map((t) => t.oid);
    const columns = (await client.query(COLUMNS, [oids])).rows;
    const constraints = (await client.query(CONSTRAINTS, [oids])).rows;
    const indexes = (await client.query(INDEXES, [oids])).rows;
    const multi = versionNum >= 140000 ? `(SELECT r.rngtypid::int8 FROM pg_range r WHERE r.rngmultitypid = t.oid)` : 'NULL::int8';
    const types = (await client.query<TypeRow>(TYPES.replace('%MULTI%', multi))).rows;
    const fields = (await client.query<{ type: string; name: string; field_type: string; typmod: number }>(FIELDS)).rows;
    await client.query('COMMIT');

    const resolver = typeResolver(types, fields);
    const columnsOf = perTable(
      columns,
      (c): CatalogColumn => ({
        name: c.name,
        type: resolver(c.type, c.typmod),
        notNull: c.not_null,
        default: c.default,
        identity: c.identity === 'a' ? 'always' : c.identity === 'd' ? 'by default' : null,
        generated: c.generated,
        sequence: c.sequence,
      }),
    );
    const constraintsOf = perTable(
      constraints,
      (c): CatalogConstraint => ({
        name: c.name,
        type: ({ p: 'primary key', u: 'unique', f: 'foreign key', c: 'check', x: 'exclusion' } as const)[c.type as 'p'],
        columns: c.columns,
        references: c.ref_table ? { table: c.ref_table, columns: c.ref_columns } : null,
        definition: c.definition,
      }),
    );
    const indexesOf = perTable(
      indexes,
      (i): CatalogIndex => ({ name: i.name, unique: i.unique, columns: i.columns, predicate: i.predicate, definition: i.definition, constraint: i.constraint }),
    );
    return {
      versionNum,
      tables: tables.map(
        (t): CatalogTable => ({
          name: `${t.schema}.${t.name}`,
          ident: `${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.name)}`,
          kind: t.relkind === 'p' ? 'partitioned table' : t.partition ? 'partition' : 'table',
          columns: columnsOf(t.oid),
          constraints: constraintsOf(t.oid),
          indexes: indexesOf(t.oid),
        }),
      ),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The rows of a per-table query (`rel` = the table's oid), mapped, by table oid; in query order. */
function perTable<R extends { rel: string }, T>(rows: R[], map: (row: R) => T): (oid: string) => T[] {
  const byTable = new Map<string, T[]>();
  for (const row of rows) {
    const list = byTable.get(row.rel) ?? [];
    list.push(map(row));
    byTable.set(row.rel, list);
  }
  return (oid) => byTable.get(oid) ?? [];
}

const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'name', 'citext']);
/** The kinds whose TypeInfo is the kind and its SQL name, nothing else. */
type PlainKind = { [K in TypeInfo['kind']]: Exclude<keyof Extract<TypeInfo, { kind: K }>, 'kind' | 'sql'> extends never ? K : never }[TypeInfo['kind']];
const REG_TYPES = [
  'regclass',
  'regtype',
  'regproc',
  'regprocedure',
  'regoper',
  'regoperator',
  'regnamespace',
  'regrole',
  'regconfig',
  'regdictionary',
  'regcollation',
];
/** Built-in types (by pg_type name) whose TypeInfo is their kind and SQL name alone. */
const PLAIN_KINDS = new Map<string, PlainKind>([
  ['float4', 'float'],
  ['float8', 'float'],
  ['money', 'money'],
  ['bool', 'bool'],
  ['date', 'date'],
  ['timestamp', 'timestamp'],
  ['timestamptz', 'timestamp'],
  ['time', 'time'],
  ['timetz', 'time'],
  ['interval', 'interval'],
  ['uuid', 'uuid'],
  ['json', 'json'],
  ['jsonb', 'json'],
  ['bytea', 'bytea'],
  ['inet', 'inet'],
  ['cidr', 'inet'],
  ['tsvector', 'tsvector'],
  ['tsquery', 'tsquery'],
  ['xml', 'xml'],
  ['pg_lsn', 'pg_lsn'],
  ['oid', 'oid'],
  ...REG_TYPES.map((n): [string, PlainKind] => [n, 'oid']),
]);
const GEOMETRIC = new Set(['point', 'lseg', 'box', 'circle', 'line', 'path', 'polygon']);

/** pg_type rows → a resolver of (type oid, typmod) to TypeInfo. */
export function typeResolver(types: TypeRow[], fields: { type: string; name: string; field_type: string; typmod: number }[]) {
  const byOid = new Map(types.map((t) => [t.oid, t]));
  const resolve = (oid: string, typmod: number, depth = 0): TypeInfo => {
    const t = byOid.get(String(oid));
    if (!t || depth > 8) return { kind: 'unsupported', sql: t?.sql ?? `type ${oid}` };
    const sql = t.sql;
    if (t.typtype === 'd') {
      return { kind: 'domain', base: resolve(t.base, t.basetypmod, depth + 1), hasChecks: t.domain_checks, sql };
    }
    if (t.typtype === 'e') return { kind: 'enum', labels: t.labels, sql };
    if (t.typtype === 'r' && t.range_subtype) return { kind: 'range', subtype: resolve(t.range_subtype, -1, depth + 1), sql };
    if (t.typtype === 'm' && t.multirange_of) return { kind: 'multirange', range: resolve(t.multirange_of, -1, depth + 1), sql };
    if (t.typtype === 'c') {
      const own = fields.filter((f) => f.type === t.oid);
      if (own.length === 0) return { kind: 'unsupported', sql };
      return { kind: 'composite', fields: own.map((f) => ({ name: f.name, type: resolve(f.field_type, f.typmod, depth + 1) })), sql };
    }
    if (t.category === 'A' && t.elem !== '0') return { kind: 'array', element: resolve(t.elem, typmod, depth + 1), sql };
    if (t.schema !== 'pg_catalog') {
      // a base type from an extension: text-like ones (citext) take a string
      return t.category === 'S' || TEXT_TYPES.has(t.name) ? { kind: 'text', maxLength: null, fixed: false, sql } : { kind: 'unsupported', sql };
    }
    switch (t.name) {
      case 'int2':
        return { kind: 'int', bytes: 2, sql };
      case 'int4':
        return { kind: 'int', bytes: 4, sql };
      case 'int8':
        return { kind: 'int', bytes: 8, sql };
      case 'numeric': {
        if (typmod < 4) return { kind: 'numeric', precision: null, scale: 0, sql };
        const m = typmod - 4;
        return { kind: 'numeric', precision: (m >> 16) & 0xffff, scale: m & 0xffff, sql: `numeric(${(m >> 16) & 0xffff},${m & 0xffff})` };
      }
      case 'text':
      case 'name':
        return { kind: 'text', maxLength: t.name === 'name' ? 63 : null, fixed: false, sql };
      case 'varchar':
      case 'bpchar': {
        const n = typmod >= 4 ? typmod - 4 : null;
        const fixed = t.name === 'bpchar';
        return { kind: 'text', maxLength: fixed ? (n ?? 1) : n, fixed, sql: n !== null ? `${fixed ? 'character' : 'character varying'}(${n})` : sql };
      }
      case 'char':
        return { kind: 'char1', sql: '"char"' };
      case 'macaddr':
        return { kind: 'macaddr', hexDigits: 12, sql };
      case 'macaddr8':
        return { kind: 'macaddr', hexDigits: 16, sql };
      case 'bit':
        return { kind: 'bit', length: typmod > 0 ? typmod : 1, sql: `bit(${typmod > 0 ? typmod : 1})` };
      case 'varbit':
        return { kind: 'bit', length: null, sql };
      default: {
        const plain = PLAIN_KINDS.get(t.name);
        if (plain) return { kind: plain, sql };
        if (GEOMETRIC.has(t.name)) return { kind: 'geometric', shape: t.name as 'point', sql };
        return { kind: 'unsupported', sql };
      }
    }
  };
  return (oid: string, typmod: number) => resolve(oid, typmod);
}
