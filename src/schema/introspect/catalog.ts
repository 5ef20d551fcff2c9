/**
 * What every per-kind reader shares: the connection it queries through, the server version (to
 * guard catalog columns that not every supported major has), and the SQL that says which objects
 * are the user's (not the system's, not an extension's).
 */
import type pg from 'pg';
import { objectKey } from '../identity.ts';

/**
 * Where an object named in a schema sits: its schema and name, and what it goes away with — its
 * schema, unless it has an owner of its own (the column of a sequence, the parent of a partition).
 */
export function inSchema(row: { schema: string; name: string }, owner: string | null = null): { parent: string; schema: string; name: string } {
  return { parent: owner ?? objectKey.schema(row.schema), schema: row.schema, name: row.name };
}

/** The oldest major the catalog queries are written for. */
export const MIN_SERVER_VERSION_NUM = 130000;

export interface CatalogReader {
  /** server_version_num, e.g. 170010 */
  readonly versionNum: number;
  query<R extends pg.QueryResultRow>(text: string): Promise<R[]>;
}

/** Namespaces that hold user objects: not the system's, not TOAST, not another session's temp. */
export function userNamespace(alias: string): string {
  return `(${alias}.nspname NOT IN ('pg_catalog', 'information_schema')
    AND ${alias}.nspname NOT LIKE 'pg\\_toast%'
    AND ${alias}.nspname NOT LIKE 'pg\\_temp\\_%')`;
}

/** The object is not a member of an extension (created by its script: pg_depend deptype 'e'). */
export function notExtensionMember(catalog: string, oidExpr: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
    WHERE dep.classid = '${catalog}'::regclass AND dep.objid = ${oidExpr} AND dep.deptype = 'e')`;
}

/**
 * A relation (pg_class alias `c`, its namespace `n`) that belongs to the user: the two conditions
 * above; children (columns, indexes, ...) follow their relation.
 */
export function userRelation(c = 'c', n = 'n'): string {
  return `${userNamespace(n)} AND ${notExtensionMember('pg_class', `${c}.oid`)}`;
}

/** Sorted copy, byte order (the model must not depend on the server's collation). */
export function sorted(values: readonly string[]): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
