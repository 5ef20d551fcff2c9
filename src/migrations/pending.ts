import { usageError } from '../core/errors.ts';
import { compareVersions, isVersion, normaliseVersion, versionKey } from './version.ts';

/**
 * What a database (or --from) says is already applied, and which migrations that leaves pending.
 * Pure: the rows a tracking table holds in, an `Applied` out.
 */
export interface Applied {
  /** the tracking table it came from; null when there was none (or --from decided) */
  table: string | null;
  /** every version <= this is applied (golang-migrate's single row, a Flyway baseline, --from) */
  upTo: string | null;
  /** versions applied one by one (dbmate, Flyway), as written in the table */
  versions: string[];
}

export const nothingApplied: Applied = { table: null, upTo: null, versions: [] };

export const FROM_HINT = 'pass a version as the files name it, e.g. --from 003, --from 20240101120000 or --from 1.2';

/** --from: versions <= from count as applied; the tracking table is not consulted. */
export function appliedFromOption(from: string): Applied {
  if (!isVersion(from)) throw usageError(`--from ${from} is not a migration version`, FROM_HINT);
  return { table: null, upTo: normaliseVersion(from), versions: [] };
}

/** golang-migrate's schema_migrations: at most one row, the current version and whether it failed half-way. */
export function fromGolangMigrate(table: string, rows: { version: string; dirty: boolean }[]): Applied {
  const current = rows.filter((r) => isVersion(r.version)).sort((a, b) => compareVersions(b.version, a.version))[0];
  if (!current) return { table, upTo: null, versions: [] };
  if (current.dirty) {
    throw usageError(
      `${table} marks version ${current.version} dirty: a migration failed half-way and golang-migrate would refuse to continue`,
      'repair the database and record a clean version (migrate force), or pass --from to say what is applied',
    );
  }
  return { table, upTo: current.version, versions: [] };
}

/** dbmate's (and Rails') schema_migrations: one row per applied version. */
export function fromVersionRows(table: string, versions: string[]): Applied {
  return { table, upTo: null, versions: versions.map((v) => v.trim()).filter(isVersion) };
}

export interface FlywayRow {
  version: string | null;
  type: string;
  success: boolean;
}

/**
 * flyway_schema_history, in installed_rank order: successful versioned rows are applied; a baseline
 * (BASELINE, SQL_BASELINE, ...) covers every version up to its own; an undo (UNDO_SQL, ...) or a
 * DELETE row takes its version back out.
 */
export function fromFlywayHistory(table: string, rows: FlywayRow[]): Applied {
  const applied = new Map<string, string>();
  let upTo: string | null = null;
  for (const row of rows) {
    if (!row.success || row.version === null || !isVersion(row.version)) continue;
    const type = row.type.toUpperCase();
    const key = versionKey(row.version);
    if (type.startsWith('UNDO') || type === 'DELETE') applied.delete(key);
    else if (type === 'SCHEMA') continue;
    else if (type.includes('BASELINE')) {
      if (upTo === null || compareVersions(row.version, upTo) > 0) upTo = row.version;
    } else applied.set(key, row.version);
  }
  return { table, upTo, versions: [...applied.values()] };
}

/** Each migration with `pending` set: true when `applied` does not cover its version. */
export function markPending<T extends { id: string }>(migrations: T[], applied: Applied): (T & { pending: boolean })[] {
  const keys = new Set(applied.versions.map(versionKey));
  const covered = (id: string) => (applied.upTo !== null && compareVersions(id, applied.upTo) <= 0) || keys.has(versionKey(id));
  return migrations.map((m) => ({ ...m, pending: !covered(m.id) }));
}

/** A migration as the tracking tables of Prisma, Drizzle and node-pg-migrate know it. */
export interface TrackedSource {
  id: string;
  /** Prisma: folder name; node-pg-migrate: file name without `.sql`; Drizzle: the journal's `when` */
  trackingKey?: string;
}

/** The ids of the sources whose tracking key passes `applied`. */
const idsWhere = (sources: TrackedSource[], applied: (key: string) => boolean) =>
  sources.filter((s) => s.trackingKey !== undefined && applied(s.trackingKey)).map((s) => s.id);

export interface PrismaRow {
  migration_name: string;
  finished: boolean;
  rolled_back: boolean;
}

/**
 * _prisma_migrations, as `prisma migrate deploy` reads it: a row neither finished nor rolled back is
 * a failed migration, and deploy refuses to go on (P3009); otherwise a migration is applied when a
 * row with its folder name is not rolled back (a rolled-back one is applied again).
 */
export function fromPrismaMigrations(table: string, rows: PrismaRow[], sources: TrackedSource[]): Applied {
  const failed = rows.find((r) => !r.finished && !r.rolled_back);
  if (failed) {
    throw usageError(
      `${table} records ${failed.migration_name} as started but not finished: a migration failed, and prisma migrate deploy refuses to go on (P3009)`,
      'resolve it (prisma migrate resolve --applied or --rolled-back), or pass --from to say what is applied',
    );
  }
  const names = new Set(rows.filter((r) => !r.rolled_back).map((r) => r.migration_name));
  return { table, upTo: null, versions: idsWhere(sources, (key) => names.has(key)) };
}

/**
 * drizzle.__drizzle_migrations, as drizzle-orm's migrator reads it: only the row that sorts first by
 * `created_at desc` counts (PostgreSQL sorts NULL first there, and the migrator reads NULL as 0), and
 * every journal entry whose `when` is not after it is taken as applied, whether it ever ran or not.
 * `last` is that row's created_at as text, null when NULL; undefined when the table is empty.
 */
export function fromDrizzleMigrations(table: string, last: string | null | undefined, sources: TrackedSource[]): Applied {
  if (last === undefined) return { table, upTo: null, versions: [] };
  const watermark = Number(last);
  return { table, upTo: null, versions: idsWhere(sources, (when) => !(watermark < Number(when))) };
}

/** pgmigrations, as node-pg-migrate reads it: one row per applied migration, by file name without extension. */
export function fromNodePgMigrations(table: string, names: string[], sources: TrackedSource[]): Applied {
  const run = new Set(names);
  return { table, upTo: null, versions: idsWhere(sources, (key) => run.has(key)) };
}

/**
 * _sqlx_migrations, as sqlx's migrator reads it: a row with success = false is a migration that
 * failed half-way, and sqlx refuses to go on (MigrateError::Dirty); the other rows are applied.
 */
export function fromSqlxMigrations(table: string, rows: { version: string; success: boolean }[]): Applied {
  const dirty = rows.find((r) => !r.success);
  if (dirty) {
    throw usageError(
      `${table} records version ${dirty.version} as partially applied (success = false); sqlx refuses to go on (Dirty)`,
      `fix the database and delete that row from ${table}, or pass --from to say what is applied`,
    );
  }
  return { table, upTo: null, versions: rows.map((r) => r.version) };
}

/**
 * goose_db_version, as goose lists it (`ORDER BY id DESC`): the newest row of each version_id decides
 * whether it is applied; version 0 is the row goose writes when it creates the table.
 */
export function fromGooseVersions(table: string, rowsNewestFirst: { version_id: string; is_applied: boolean }[]): Applied {
  const decided = new Map<string, boolean>();
  for (const r of rowsNewestFirst) if (!decided.has(r.version_id)) decided.set(r.version_id, r.is_applied);
  const versions = [...decided].filter(([v, applied]) => applied && v !== '0').map(([v]) => v);
  return { table, upTo: null, versions };
}

/**
 * sqitch.changes of the plan's project: a change name deployed n times covers its first n
 * occurrences in the plan (a reworked change appears more than once).
 */
export function fromSqitchChanges(table: string, names: string[], sources: TrackedSource[]): Applied {
  const count = new Map<string, number>();
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  const versions: string[] = [];
  for (const s of sources) {
    const left = s.trackingKey === undefined ? 0 : (count.get(s.trackingKey) ?? 0);
    if (left > 0) {
      versions.push(s.id);
      count.set(s.trackingKey!, left - 1);
    }
  }
  return { table, upTo: null, versions };
}

/** databasechangelog: a changeset (id::author) with a row other than FAILED has run. */
export function fromLiquibaseChangelog(table: string, rows: { id: string; author: string; exectype: string }[], sources: TrackedSource[]): Applied {
  const ran = new Set(rows.filter((r) => r.exectype.toUpperCase() !== 'FAILED').map((r) => `${r.id}::${r.author}`));
  return { table, upTo: null, versions: idsWhere(sources, (key) => ran.has(key)) };
}

export interface AtlasRow {
  version: string;
  /** bit flags: 1 baseline, 2 executed, 4 resolved */
  type: number;
  applied: number;
  total: number;
  error: string | null;
}

/**
 * atlas_schema_revisions: a baseline row covers every version up to its own; a row whose statements
 * all ran (applied = total) is applied; one that stopped part-way makes Atlas resume inside the file,
 * which a replay cannot do: refused.
 */
export function fromAtlasRevisions(table: string, rows: AtlasRow[]): Applied {
  let upTo: string | null = null;
  const versions: string[] = [];
  for (const r of rows.filter((x) => isVersion(x.version))) {
    if ((r.type & 1) === 1) {
      if (upTo === null || compareVersions(r.version, upTo) > 0) upTo = r.version;
      continue;
    }
    if (r.applied < r.total) {
      throw usageError(
        `${table} records version ${r.version} as partially applied (${r.applied} of ${r.total} statements${r.error ? `: ${r.error}` : ''}); Atlas would resume inside that file`,
        'finish or resolve it (atlas migrate set / atlas migrate apply), or pass --from to say what is applied',
      );
    }
    versions.push(r.version);
  }
  return { table, upTo, versions };
}
