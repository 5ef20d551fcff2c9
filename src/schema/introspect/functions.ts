/**
 * Functions and procedures (not aggregates or window functions), keyed by name and identity
 * arguments. The body is compared by hash, so a report shows that it changed, not a long text.
 */
import crypto from 'node:crypto';
import { objectKey } from '../identity.ts';
import type { FunctionObject, Parallel, Volatility } from '../types.ts';
import { inSchema, notExtensionMember, sorted, userNamespace, type CatalogReader } from './catalog.ts';

interface Row {
  schema: string;
  name: string;
  prokind: string;
  identity_arguments: string;
  arguments: string;
  returns: string | null;
  language: string;
  volatility: string;
  strict: boolean;
  security_definer: boolean;
  leakproof: boolean;
  parallel: string;
  config: string[];
  body: string | null;
  probin: string | null;
}

/** The SQL-standard body (BEGIN ATOMIC ... END, PostgreSQL 14+) has no prosrc: deparse it. */
const body = (versionNum: number) =>
  versionNum >= 140000 ? 'CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) ELSE p.prosrc END' : 'p.prosrc';

const sql = (versionNum: number) => `
SELECT n.nspname AS schema, p.proname AS name, p.prokind,
  pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_arguments,
  pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
  CASE WHEN p.prokind = 'p' THEN NULL ELSE pg_catalog.pg_get_function_result(p.oid) END AS returns,
  l.lanname AS language, p.provolatile AS volatility, p.proisstrict AS strict,
  p.prosecdef AS security_definer, p.proleakproof AS leakproof, p.proparallel AS parallel,
  coalesce(p.proconfig, '{}')::text[] AS config,
  ${body(versionNum)} AS body, p.probin
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p') AND ${userNamespace('n')} AND ${notExtensionMember('pg_proc', 'p.oid')}`;

const volatilities: Record<string, Volatility> = { i: 'immutable', s: 'stable', v: 'volatile' };
const parallels: Record<string, Parallel> = { s: 'safe', r: 'restricted', u: 'unsafe' };

export function bodyHash(language: string, body: string | null, probin: string | null): string {
  return crypto
    .createHash('sha256')
    .update(`${language}\0${body ?? ''}\0${probin ?? ''}`)
    .digest('hex')
    .slice(0, 16);
}

export function toFunction(row: Row): FunctionObject {
  const kind = row.prokind === 'p' ? 'procedure' : 'function';
  const attributes: FunctionObject['attributes'] = {
    arguments: row.arguments,
    returns: row.returns,
    language: row.language,
    volatility: volatilities[row.volatility] ?? 'volatile',
    strict: row.strict,
    securityDefiner: row.security_definer,
    leakproof: row.leakproof,
    parallel: parallels[row.parallel] ?? 'unsafe',
    config: sorted(row.config),
    bodyHash: bodyHash(row.language, row.body, row.probin),
  };
  const key = objectKey.routine(kind, row.schema, row.name, row.identity_arguments);
  return {
    kind,
    key,
    ...inSchema(row),
    identityArguments: row.identity_arguments,
    definition: `${key.slice(kind.length + 1)}${row.returns !== null ? ` RETURNS ${row.returns}` : ''} LANGUAGE ${row.language}`,
    attributes,
  };
}

export async function readFunctions(db: CatalogReader): Promise<FunctionObject[]> {
  return (await db.query<Row>(sql(db.versionNum))).map(toFunction);
}
