import { usageError } from '../core/errors.ts';
import { hasDbmateMarker, parseDbmate } from './dbmate.ts';
import { compareNodePgMigrateNames, hasNodePgMigrateMarker, parseNodePgMigrate } from './node-pg-migrate.ts';
import type { MigrationFormat, ScriptSource } from './types.ts';
import { compareVersions, normaliseVersion, versionKey } from './version.ts';

/**
 * Which layout a folder of .sql migration files follows, told from its file names (and, for dbmate
 * and node-pg-migrate, the section markers inside), and the up/down scripts of each version. Pure:
 * files in, sources out. The folder layouts of Prisma and Drizzle are read by prisma.ts and drizzle.ts.
 */

/** A .sql file of the folder, read. */
export interface SourceFile {
  /** file name, e.g. '001_add_column.sql' */
  name: string;
  /** path as the user will find it: the folder as given joined with the name */
  path: string;
  text: string;
}

export type { ScriptSource };

export interface MigrationSource {
  id: string;
  name: string;
  up: ScriptSource;
  down?: ScriptSource;
  /** sqitch: the verify script */
  verify?: ScriptSource;
  /** dbmate: the text before `-- migrate:up`, where dbmate allows only comments */
  preamble?: ScriptSource;
  /** what the tool's tracking table records for this migration when it is not the version itself:
   *  Prisma the folder name, node-pg-migrate the file name without `.sql`, Drizzle the journal's `when` */
  trackingKey?: string;
}

export interface Layout {
  format: MigrationFormat;
  /** sqitch: the plan's %project (the registry's rows are per project) */
  project?: string;
  /** ordered by version */
  sources: MigrationSource[];
}

export const LAYOUTS_HINT =
  'accepted layouts: plain NNN_name.sql (optional NNN_name.down.sql); golang-migrate NNN_name.up.sql + NNN_name.down.sql; ' +
  'Flyway V<version>__name.sql (optional U<version>__name.sql); dbmate <timestamp>_name.sql with "-- migrate:up" / "-- migrate:down" sections; ' +
  'Prisma prisma/migrations/<timestamp>_name/migration.sql; Drizzle <tag>.sql + meta/_journal.json; ' +
  'node-pg-migrate <timestamp>_name.sql with "-- Up Migration" / "-- Down Migration" sections; ' +
  'diesel <version>_name/up.sql; sqlx <version>_name.sql; goose files with "-- +goose Up"; sqitch sqitch.plan; ' +
  'Liquibase "--liquibase formatted sql" files; Atlas atlas.sum + <version>_name.sql ' +
  '(see docs/migration-formats.md)';

/** The layouts told from the names (and markers) of .sql files directly in the folder. */
export type SqlFileFormat = Extract<MigrationFormat, 'plain' | 'golang-migrate' | 'flyway' | 'dbmate' | 'node-pg-migrate'>;

/** What a layout's naming rule reads from a file name. */
interface NamedFile {
  version: string;
  name: string;
  role: 'up' | 'down' | 'skip';
}

const NUMBERED = /^(\d+)_(.*?)(\.down)?\.sql$/;
const GOLANG = /^(\d+)_(.*)\.(up|down)\.sql$/;
const FLYWAY = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const FLYWAY_REPEATABLE = /^R__.+\.sql$/;
const NODE_PG_MIGRATE = /^(\d+)_(.*)\.sql$/;

const namingRules: Record<SqlFileFormat, (fileName: string) => NamedFile | null> = {
  plain: (f) => {
    const m = NUMBERED.exec(f);
    return m ? { version: m[1]!, name: m[2]!, role: m[3] ? 'down' : 'up' } : null;
  },
  'golang-migrate': (f) => {
    const m = GOLANG.exec(f);
    return m ? { version: m[1]!, name: m[2]!, role: m[3] as 'up' | 'down' } : null;
  },
  flyway: (f) => {
    if (FLYWAY_REPEATABLE.test(f)) return { version: '', name: '', role: 'skip' };
    const m = FLYWAY.exec(f);
    return m ? { version: normaliseVersion(m[2]!), name: m[3]!, role: m[1] === 'V' ? 'up' : 'down' } : null;
  },
  // up and down live in one file; the file name is only the version and a name
  dbmate: (f) => {
    const m = NUMBERED.exec(f);
    return m && !m[3] ? { version: m[1]!, name: m[2]!, role: 'up' } : null;
  },
  // up and down live in one file; the name after the number is the rest of the file name
  'node-pg-migrate': (f) => {
    const m = NODE_PG_MIGRATE.exec(f);
    return m ? { version: m[1]!, name: m[2]!, role: 'up' } : null;
  },
};

/** The layout the files' names (and dbmate's or node-pg-migrate's markers) point to, strongest evidence first. */
function detectFormat(files: SourceFile[]): SqlFileFormat | undefined {
  if (files.some((f) => FLYWAY.test(f.name) || FLYWAY_REPEATABLE.test(f.name))) return 'flyway';
  if (files.some((f) => GOLANG.exec(f.name)?.[3] === 'up')) return 'golang-migrate';
  if (files.some((f) => NUMBERED.test(f.name) && hasDbmateMarker(f.text))) return 'dbmate';
  if (files.some((f) => NUMBERED.test(f.name) && hasNodePgMigrateMarker(f.text))) return 'node-pg-migrate';
  if (files.some((f) => NUMBERED.test(f.name))) return 'plain';
  return undefined;
}

/** A version's scripts as the files are met, before the checks that it has an up. */
interface Gathered extends Partial<Omit<MigrationSource, 'id' | 'name'>> {
  id: string;
  name: string;
  upFile?: string;
  downFile?: string;
}

const wholeFile = (f: SourceFile): ScriptSource => ({ file: f.path, text: f.text, lineOffset: 0, inTransaction: true });

/** The migrations of a folder's .sql files; a usage error names the file that does not fit. */
export function readLayout(folder: string, files: SourceFile[]): Layout {
  const first = files[0];
  if (!first) throw usageError(`no .sql migration files in ${folder}`, LAYOUTS_HINT);
  const format = detectFormat(files);
  if (!format) {
    throw usageError(`cannot tell the migration layout of ${folder}: ${first.name} matches none of the accepted file names`, LAYOUTS_HINT);
  }
  const rule = namingRules[format];
  const byVersion = new Map<string, Gathered>();

  for (const file of files) {
    const named = rule(file.name);
    if (!named) {
      throw usageError(`${folder}: ${file.name} does not fit the ${format} layout of the other files`, LAYOUTS_HINT);
    }
    if (named.role === 'skip') continue;
    const key = versionKey(named.version);
    const entry = byVersion.get(key) ?? { id: named.version, name: named.name };
    byVersion.set(key, entry);
    const previous = named.role === 'up' ? entry.upFile : entry.downFile;
    if (previous) {
      throw usageError(
        `${folder}: ${previous} and ${file.name} are both the ${named.role} migration of version ${named.version}`,
        'give each migration its own version',
      );
    }
    if (named.role === 'down') {
      entry.down = wholeFile(file);
      entry.downFile = file.name;
      continue;
    }
    entry.id = named.version;
    entry.name = named.name;
    entry.upFile = file.name;
    if (format === 'dbmate') {
      const parsed = parseDbmate(file.text);
      if ('problem' in parsed) {
        throw usageError(
          `${file.path} ${parsed.problem}; the other files in ${folder} are dbmate migrations`,
          'a dbmate migration has a "-- migrate:up" line, then optionally a "-- migrate:down" line',
        );
      }
      const section = (s: typeof parsed.up): ScriptSource => ({ file: file.path, ...s });
      entry.up = section(parsed.up);
      if (parsed.down) entry.down = section(parsed.down);
      entry.preamble = section(parsed.preamble);
    } else if (format === 'node-pg-migrate') {
      const parsed = parseNodePgMigrate(file.text, file.path);
      entry.up = parsed.up;
      if (parsed.down) entry.down = parsed.down;
      entry.trackingKey = file.name.slice(0, -'.sql'.length);
    } else {
      entry.up = wholeFile(file);
    }
  }

  const sources: MigrationSource[] = [];
  for (const entry of byVersion.values()) {
    if (!entry.up) {
      throw usageError(
        `${folder}: ${entry.downFile} is a down migration without an up migration of version ${entry.id}`,
        'add the up migration or remove the down file',
      );
    }
    sources.push({
      id: entry.id,
      name: entry.name,
      up: entry.up,
      ...(entry.down ? { down: entry.down } : {}),
      ...(entry.preamble ? { preamble: entry.preamble } : {}),
      ...(entry.trackingKey !== undefined ? { trackingKey: entry.trackingKey } : {}),
    });
  }
  if (format === 'node-pg-migrate') sources.sort((a, b) => compareNodePgMigrateNames(a.trackingKey ?? '', b.trackingKey ?? ''));
  else sources.sort((a, b) => compareVersions(a.id, b.id));
  return { format, sources };
}
