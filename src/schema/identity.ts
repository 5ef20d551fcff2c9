/**
 * Object identity keys: `kind:qualified.name`, stable across servers, dumps and restores (no oids).
 * A name part is written as PostgreSQL would need it quoted only when it is not a plain lower-case
 * identifier, so `public.orders` stays readable and `"Odd.Name"` stays unambiguous.
 */

const plain = /^[a-z_][a-z0-9_$]*$/;

/** A name part of a key: as is when plain, else double-quoted with inner quotes doubled. */
export function namePart(name: string): string {
  return plain.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

const qualified = (...parts: string[]) => parts.map(namePart).join('.');

export const objectKey = {
  schema: (schema: string) => `schema:${namePart(schema)}`,
  extension: (name: string) => `extension:${namePart(name)}`,
  table: (schema: string, name: string) => `table:${qualified(schema, name)}`,
  view: (schema: string, name: string) => `view:${qualified(schema, name)}`,
  materializedView: (schema: string, name: string) => `materialized_view:${qualified(schema, name)}`,
  column: (schema: string, table: string, column: string) => `column:${qualified(schema, table, column)}`,
  /** constraint names are unique per table, so the table is part of the key */
  constraint: (schema: string, table: string, name: string) => `constraint:${qualified(schema, table, name)}`,
  /** index names are unique per schema */
  index: (schema: string, name: string) => `index:${qualified(schema, name)}`,
  trigger: (schema: string, table: string, name: string) => `trigger:${qualified(schema, table, name)}`,
  policy: (schema: string, table: string, name: string) => `policy:${qualified(schema, table, name)}`,
  sequence: (schema: string, name: string) => `sequence:${qualified(schema, name)}`,
  enum: (schema: string, name: string) => `enum:${qualified(schema, name)}`,
  /** overloads differ by their identity arguments (pg_get_function_identity_arguments) */
  routine: (kind: 'function' | 'procedure', schema: string, name: string, identityArguments: string) =>
    `${kind}:${qualified(schema, name)}(${identityArguments})`,
} as const;

/** The key of a table, view or materialized view from its relkind. */
export function relationKey(relkind: string, schema: string, name: string): string {
  switch (relkind) {
    case 'v':
      return objectKey.view(schema, name);
    case 'm':
      return objectKey.materializedView(schema, name);
    default:
      return objectKey.table(schema, name);
  }
}

/** Byte-order comparison: the same order on every machine and locale. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
