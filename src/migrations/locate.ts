import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.ts';
import { DRIZZLE_JOURNAL, readDrizzle } from './drizzle.ts';
import { readSqlFiles } from './folder.ts';
import { LAYOUTS_HINT, readLayout, type Layout } from './layouts.ts';
import { PRISMA_LOCK, readPrisma } from './prisma.ts';

/**
 * Which tool a migration folder belongs to, from what it holds, and its migrations:
 *
 * 1. `meta/_journal.json` in it → Drizzle (the folder is drizzle-kit's `out`, e.g. `drizzle/`);
 * 2. `migration_lock.toml`, or subfolders holding `migration.sql` → Prisma (`prisma/migrations`);
 *    the same in its `migrations` subfolder → Prisma (the folder is `prisma/`);
 * 3. else the layouts told from the .sql files in it (plain, golang-migrate, Flyway, dbmate, node-pg-migrate).
 */
export async function readFolderLayout(folder: string): Promise<Layout> {
  const entries = await listFolder(folder);
  if (await isFile(path.join(folder, DRIZZLE_JOURNAL))) return readDrizzle(folder);

  const here = await prismaShape(folder, entries);
  if (here) return readPrisma(folder, folder);
  const sub = path.join(folder, 'migrations');
  if (entries.some((e) => e.isDirectory() && e.name === 'migrations')) {
    if (await prismaShape(sub, await readdir(sub, { withFileTypes: true }))) return readPrisma(folder, sub);
  }

  const layout = readLayout(folder, await readSqlFiles(folder));
  if (layout.format === 'node-pg-migrate') refuseScriptMigrations(folder, entries);
  return layout;
}

async function listFolder(folder: string): Promise<Dirent[]> {
  const info = await stat(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (!info) throw usageError(`migration folder ${folder} does not exist`, 'pass the folder that holds the migrations');
  if (!info.isDirectory()) throw usageError(`${folder} is not a folder`, LAYOUTS_HINT);
  return readdir(folder, { withFileTypes: true });
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}

/**
 * true when `dir` looks like Prisma's migrations folder. drizzle-kit 1.0 writes a similar
 * `<timestamp>_<name>/migration.sql` layout, told apart by its `snapshot.json` and the absence of
 * Prisma's lock file; it has no journal, and is refused with a message that says so.
 */
async function prismaShape(dir: string, entries: Dirent[]): Promise<boolean> {
  if (entries.some((e) => e.isFile() && e.name === PRISMA_LOCK)) return true;
  const folders = entries.filter((e) => e.isDirectory());
  let scripts = false;
  for (const f of folders) {
    if (!(await isFile(path.join(dir, f.name, 'migration.sql')))) continue;
    if (await isFile(path.join(dir, f.name, 'snapshot.json'))) {
      throw usageError(
        `${dir} looks like a drizzle-kit 1.0 migrations folder (${f.name}/migration.sql with snapshot.json); ` +
          'pg-rehearse reads the drizzle-kit 0.x layout with meta/_journal.json',
        'pass --migrate-command to run drizzle-kit itself',
      );
    }
    scripts = true;
  }
  return scripts;
}

/** node-pg-migrate also loads .js/.ts migrations from the folder; their statements cannot be read from files. */
function refuseScriptMigrations(folder: string, entries: Dirent[]): void {
  const scripts = entries.filter((e) => e.isFile() && !e.name.startsWith('.') && /\.[cm]?[jt]s$/.test(e.name));
  const first = scripts[0];
  if (!first) return;
  throw usageError(
    `${folder}: ${first.name} is a JavaScript/TypeScript migration; pg-rehearse reads node-pg-migrate's SQL migrations only`,
    'pass --migrate-command "npx node-pg-migrate up" to run node-pg-migrate itself',
  );
}
