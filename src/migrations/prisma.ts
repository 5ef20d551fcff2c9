import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.ts';
import type { Layout, MigrationSource } from './layouts.ts';
import { versionKey } from './version.ts';

/**
 * Prisma Migrate's folder: `migrations/<timestamp>_<name>/migration.sql`, one folder per migration,
 * beside `migration_lock.toml` (`provider = "postgresql"`). As prisma-engines reads it: every
 * subfolder is a migration, ordered by folder name (byte order); files directly in the folder are
 * not migrations. The tracking table records the folder name (`migration_name`).
 */

export const PRISMA_LOCK = 'migration_lock.toml';
const SCRIPT = 'migration.sql';
/** the folder names `prisma migrate dev` writes (`20240101120000_add_orders`), and the documented baseline `0_init` */
const FOLDER_NAME = /^(\d+)_(.*)$/;
/** providers whose migrations are PostgreSQL's own SQL */
const POSTGRES_PROVIDERS = ['postgresql', 'postgres'];

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The provider a migration_lock.toml names, if it names one. */
export function lockProvider(toml: string): string | undefined {
  return /^\s*provider\s*=\s*"([^"]*)"/m.exec(toml)?.[1];
}

/**
 * The migrations of a Prisma migrations folder. `folder` is the folder as the user gave it (for
 * messages), `dir` the migrations folder itself (the same, or its `migrations` subfolder).
 */
export async function readPrisma(folder: string, dir: string): Promise<Layout> {
  const entries = await readdir(dir, { withFileTypes: true });
  const lock = entries.find((e) => e.isFile() && e.name === PRISMA_LOCK);
  if (lock) {
    const provider = lockProvider(await readFile(path.join(dir, PRISMA_LOCK), 'utf8'));
    if (provider !== undefined && !POSTGRES_PROVIDERS.includes(provider)) {
      throw usageError(
        `${path.join(dir, PRISMA_LOCK)} says provider = "${provider}": these Prisma migrations are not for PostgreSQL`,
        'pass the migrations of the PostgreSQL datasource',
      );
    }
  }
  const folders = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(byteOrder);
  if (folders.length === 0) {
    throw usageError(`no Prisma migration folders in ${dir}`, 'pass the prisma/migrations folder that holds <timestamp>_<name>/migration.sql');
  }

  const seen = new Map<string, string>();
  const sources: MigrationSource[] = [];
  for (const name of folders) {
    const m = FOLDER_NAME.exec(name);
    if (!m) {
      throw usageError(
        `${folder}: the Prisma migration folder ${name} does not start with a number and "_"`,
        'pg-rehearse orders Prisma migrations by that number, as prisma migrate dev names them (<timestamp>_<name>, or 0_init); pass --migrate-command to run prisma migrate deploy itself',
      );
    }
    const id = m[1]!;
    const migrationName = m[2]!;
    const clash = seen.get(versionKey(id));
    if (clash) {
      throw usageError(`${folder}: the Prisma migrations ${clash} and ${name} have the same number ${id}`, 'give each migration its own timestamp');
    }
    seen.set(versionKey(id), name);
    const file = path.join(dir, name, SCRIPT);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        throw usageError(
          `${path.join(dir, name)} has no ${SCRIPT}; prisma migrate deploy refuses such a folder too (P3015)`,
          'restore the migration.sql file or delete the folder',
        );
      }
      throw err;
    });
    sources.push({
      id,
      name: migrationName,
      // prisma-engines sends the whole file as one simple-protocol query: see docs/migration-formats.md
      up: { file, text: text.replace(/^\uFEFF/, ''), lineOffset: 0, inTransaction: true },
      trackingKey: name,
    });
  }
  return { format: 'prisma', sources };
}
