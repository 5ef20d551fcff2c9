import { loadModule, parseSync } from 'libpg-query';

/**
 * What a query captured from a migration tool's connection is: its statement kinds (parse-tree
 * node names, the real PostgreSQL parser) and whether it is the tool's own bookkeeping rather than
 * a migration statement. Bookkeeping is decided from the parse tree and is conservative: a query is
 * bookkeeping only when every statement in it is
 *
 * - transaction control or a setting: BEGIN/COMMIT/ROLLBACK/SAVEPOINT, SET, SHOW, RESET, DISCARD;
 * - a SELECT/INSERT/UPDATE/DELETE/CREATE TABLE/LOCK whose relations are all migration tracking
 *   tables (TRACKING_TABLES) or system catalogs (pg_catalog, information_schema);
 * - a SELECT of no relation at all calling only harmless functions (advisory locks, version(),
 *   current_database(), now(), …) — `SELECT my_backfill()` is a migration statement.
 *
 * A query the parser cannot read (cut at track_activity_query_size) is a migration statement.
 */
export interface Classified {
  /** parse-tree node of each statement, e.g. ['AlterTableStmt', 'SelectStmt']; ['Unknown'] when unparsable */
  kinds: string[];
  bookkeeping: boolean;
}

/** Tracking tables of the common migration tools (relation names as the parser gives them). */
export const TRACKING_TABLES = new Set([
  'schema_migrations', // golang-migrate, dbmate, Rails, sqlx-cli (_sqlx_migrations below)
  '_sqlx_migrations',
  'flyway_schema_history',
  '_prisma_migrations',
  '__drizzle_migrations',
  'pgmigrations', // node-pg-migrate
  'knex_migrations',
  'knex_migrations_lock',
  'SequelizeMeta',
  'kysely_migration',
  'kysely_migration_lock',
  'mikro_orm_migrations',
  'goose_db_version',
  '__EFMigrationsHistory',
  'alembic_version',
  'django_migrations',
  'ar_internal_metadata',
  'databasechangelog', // Liquibase
  'databasechangeloglock',
]);

const CONTROL = new Set(['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt', 'DiscardStmt']);
const ON_RELATIONS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'CreateStmt', 'LockStmt']);
const CATALOG_SCHEMAS = new Set(['pg_catalog', 'information_schema']);
const HARMLESS_FUNCTIONS = new Set([
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_advisory_xact_lock',
  'pg_try_advisory_xact_lock',
  'pg_advisory_unlock',
  'pg_advisory_unlock_shared',
  'pg_advisory_unlock_all',
  'version',
  'current_database',
  'current_schema',
  'current_schemas',
  'current_user',
  'session_user',
  'current_setting',
  'set_config',
  'pg_backend_pid',
  'now',
  'clock_timestamp',
  'statement_timestamp',
  'transaction_timestamp',
  'to_regclass',
  'to_regnamespace',
  'pg_is_in_recovery',
  'txid_current',
  'pg_current_xact_id',
  'has_schema_privilege',
  'has_table_privilege',
  'has_database_privilege',
]);

/** A relation name (regclass text, maybe schema-qualified) that is a tracking table or its id sequence. */
export function isTrackingRelation(name: string): boolean {
  const bare = name.slice(name.lastIndexOf('.') + 1).replace(/^"|"$/g, '');
  return TRACKING_TABLES.has(bare) || [...TRACKING_TABLES].some((t) => bare === `${t}_id_seq` || bare === `${t}_pkey`);
}

let loaded: Promise<void> | undefined;

/** The parser's WASM module, loaded once; classify() needs it. */
export function loadParser(): Promise<void> {
  return (loaded ??= loadModule());
}

/** Kinds and bookkeeping of one captured query (loadParser() must have resolved). */
export function classify(sql: string): Classified {
  let stmts: unknown[];
  try {
    stmts = (parseSync(sql).stmts ?? []).map((s) => s.stmt).filter((s) => s !== undefined);
  } catch {
    return { kinds: ['Unknown'], bookkeeping: false };
  }
  if (stmts.length === 0) return { kinds: ['Empty'], bookkeeping: true };
  const kinds = stmts.map((s) => Object.keys(s as object)[0] ?? 'Unknown');
  return { kinds, bookkeeping: stmts.every((s, i) => isBookkeeping(kinds[i]!, s)) };
}

function isBookkeeping(kind: string, node: unknown): boolean {
  if (CONTROL.has(kind)) return true;
  if (!ON_RELATIONS.has(kind)) return false;
  const { relations, functions, ctes } = collect(node);
  const real = relations.filter((r) => r.schema !== null || !ctes.has(r.name));
  if (real.length === 0) return kind === 'SelectStmt' && functions.every((f) => HARMLESS_FUNCTIONS.has(f));
  return real.every((r) => TRACKING_TABLES.has(r.name) || (r.schema !== null ? CATALOG_SCHEMAS.has(r.schema) : r.name.startsWith('pg_')));
}

interface Collected {
  relations: { schema: string | null; name: string }[];
  functions: string[];
  ctes: Set<string>;
}

/** Every relation (RangeVar: an object with `relname`), function name and CTE name in a parse tree. */
function collect(node: unknown, into: Collected = { relations: [], functions: [], ctes: new Set() }): Collected {
  if (Array.isArray(node)) {
    for (const x of node) collect(x, into);
    return into;
  }
  if (typeof node !== 'object' || node === null) return into;
  const o = node as Record<string, unknown>;
  if (typeof o.relname === 'string') into.relations.push({ schema: typeof o.schemaname === 'string' ? o.schemaname : null, name: o.relname });
  if (typeof o.ctename === 'string') into.ctes.add(o.ctename);
  const call = o.FuncCall as { funcname?: { String?: { sval?: string } }[] } | undefined;
  if (call?.funcname) {
    const last = call.funcname.at(-1)?.String?.sval;
    if (last) into.functions.push(last);
  }
  for (const v of Object.values(o)) collect(v, into);
  return into;
}
