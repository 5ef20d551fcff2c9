/**
 * introspect(url): read a database's structure from the system catalogs into a SchemaModel.
 * One read-only repeatable-read transaction (one snapshot), search_path set to pg_catalog only so
 * every expression and type PostgreSQL deparses names its schema (the same text on any server).
 */
import type pg from 'pg';
import { connectFor } from '../../core/client.ts';
import { describeError, infraError, RehearseError } from '../../core/errors.ts';
import { compareKeys } from '../identity.ts';
import type { SchemaModel, SchemaObject } from '../types.ts';
import { MIN_SERVER_VERSION_NUM, type CatalogReader } from './catalog.ts';
import { readColumns } from './columns.ts';
import { readConstraints } from './constraints.ts';
import { readEnums } from './enums.ts';
import { readExtensions } from './extensions.ts';
import { readFunctions } from './functions.ts';
import { readIndexes } from './indexes.ts';
import { readPolicies } from './policies.ts';
import { readSchemas } from './schemas.ts';
import { readSequences } from './sequences.ts';
import { readTables } from './tables.ts';
import { readTriggers } from './triggers.ts';
import { readViews } from './views.ts';

/** One reader per object kind; each returns plain objects. */
const readers: ((db: CatalogReader) => Promise<SchemaObject[]>)[] = [
  readSchemas,
  readExtensions,
  readTables,
  readColumns,
  readConstraints,
  readIndexes,
  readTriggers,
  readViews,
  readSequences,
  readEnums,
  readFunctions,
  readPolicies,
];

export async function introspect(url: string): Promise<SchemaModel> {
  const client = await connectFor(url, 'schema', 'to read the schema', 'check that the server is up and the connection URL is right');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query('SET LOCAL search_path = pg_catalog');
    const { rows } = await client.query<{ num: string; version: string }>(
      `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`,
    );
    const versionNum = Number(rows[0]?.num);
    const serverVersion = (rows[0]?.version ?? '').split(' ')[0] ?? '';
    if (!(versionNum >= MIN_SERVER_VERSION_NUM)) {
      throw infraError(
        `reading the schema needs PostgreSQL 13 or later; this server is ${serverVersion}`,
        'rehearse on a newer major (--postgres 13 or later)',
      );
    }
    const db: CatalogReader = {
      versionNum,
      query: async <R extends pg.QueryResultRow>(text: string) => (await client.query<R>(text)).rows,
    };
    const objects: SchemaObject[] = [];
    for (const read of readers) objects.push(...(await read(db)));
    await client.query('COMMIT');
    return assembleModel(serverVersion, objects);
  } catch (err) {
    if (err instanceof RehearseError) throw err;
    throw infraError(`reading the schema from the catalogs failed: ${describeError(err)}`, undefined, err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The model from a list of objects: keyed, in key order; a key read twice is a bug of ours. */
export function assembleModel(serverVersion: string, objects: readonly SchemaObject[]): SchemaModel {
  const byKey = new Map<string, SchemaObject>();
  for (const object of objects) {
    if (byKey.has(object.key)) {
      throw infraError(`schema introspection read ${object.key} twice`, 'please report this with the DDL of that object');
    }
    byKey.set(object.key, object);
  }
  const sortedObjects: Record<string, SchemaObject> = {};
  for (const key of [...byKey.keys()].sort(compareKeys)) sortedObjects[key] = byKey.get(key)!;
  return { serverVersion, objects: sortedObjects };
}
