import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.ts';
import { ATLAS_SUM, readAtlas } from './atlas.ts';
import { isDieselFolder, readDiesel } from './diesel.ts';
import { DRIZZLE_JOURNAL, readDrizzle } from './drizzle.ts';
import { readSqlFiles } from './folder.ts';
import { isGooseFolder, readGoose } from './goose.ts';
import { LAYOUTS_HINT, readLayout, type Layout, type SourceFile } from './layouts.ts';
import { isLiquibaseFile, readLiquibase } from './liquibase.ts';
import { PRISMA_LOCK, readPrisma } from './prisma.ts';
import { SQITCH_PLAN, readSqitch } from './sqitch.ts';
import { hasSqlxMarker, readSqlx } from './sqlx.ts';

/**
 * Which tool a migration folder belongs to, from what it holds, and its migrations:
 *
 * 1. `meta/_journal.json` in it → Drizzle (the folder is drizzle-kit's `out`, e.g. `drizzle/`);
 * 2. `migration_lock.toml`, or subfolders holding `migration.sql` → Prisma (`prisma/migrations`);
 *    the same in its `migrations` subfolder → Prisma (the folder is `prisma/`);
 * 3. `sqitch.plan` → sqitch (the folder is the project's top directory);
 * 4. `atlas.sum` → Atlas;
 * 5. subfolders holding `up.sql`, `down.sql` or `metadata.toml` → diesel (also in a `migrations` subfolder);
 * 6. else the .sql files in it: a first line `--liquibase formatted sql` → Liquibase; a `-- +goose`
 *    annotation → goose; a file starting `-- no-transaction`, or a `Cargo.toml` beside the folder
 *    with `<version>_<name>.sql` files → sqlx; else the layouts told from the names (plain,
 *    golang-migrate, Flyway, dbmate, node-pg-migrate).
 */
export async function readFolderLayout(folder: string): Promise<Layout> {
  const entries = await listFolder(folder);
  if (await isFile(path.join(folder, DRIZZLE_JOURNAL))) return readDrizzle(folder);
  if (await isFile(path.join(folder, SQITCH_PLAN))) return readSqitch(folder);
  if (await isFile(path.join(folder, ATLAS_SUM))) {
    return readAtlas(folder, await readSqlFiles(folder), await readFile(path.join(folder, ATLAS_SUM), 'utf8'));
  }

  const here = await prismaShape(folder, entries);
  if (here) return readPrisma(folder, folder);
  const sub = path.join(folder, 'migrations');
  if (entries.some((e) => e.isDirectory() && e.name === 'migrations')) {
    if (await prismaShape(sub, await readdir(sub, { withFileTypes: true }))) return readPrisma(folder, sub);
  }

  if (await isDieselFolder(folder, entries)) return readDiesel(folder, entries);
  if (entries.some((e) => e.isDirectory() && e.name === 'migrations') && !entries.some((e) => e.isFile() && e.name.endsWith('.sql'))) {
    const subEntries = await readdir(sub, { withFileTypes: true });
    if (await isDieselFolder(sub, subEntries)) return readDiesel(sub, subEntries);
  }

  const files = await readSqlFiles(folder);
  if (files.some((f) => isLiquibaseFile(f.text))) return readLiquibase(folder, files);
  if (isGooseFolder(files)) {
    refuseScriptMigrations(folder, entries, 'goose', '.go', 'goose up');
    return readGoose(folder, files);
  }
  if (await isSqlxFolder(folder, files)) return readSqlx(folder, files);
  const layout = readLayout(folder, files);
  if (layout.format === 'node-pg-migrate') refuseScriptMigrations(folder, entries);
  return layout;
}

/** sqlx: its marker in a file, or a Rust crate (Cargo.toml beside the folder) with sqlx-named files and no other tool's names. */
async function isSqlxFolder(folder: string, files: SourceFile[]): Promise<boolean> {
  if (hasSqlxMarker(files)) return true;
  if (!(await isFile(path.join(path.dirname(path.resolve(folder)), 'Cargo.toml')))) return false;
  return files.length > 0 && files.every((f) => /^\d+_.+\.sql$/.test(f.name));
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

/** node-pg-migrate also loads .js/.ts migrations from the folder, goose .go ones; their statements cannot be read from files. */
function refuseScriptMigrations(folder: string, entries: Dirent[], tool = 'node-pg-migrate', ext = '.js', command = 'npx node-pg-migrate up'): void {
  const pattern = ext === '.go' ? /^\d+_.*\.go$/ : /\.[cm]?[jt]s$/;
  const scripts = entries.filter((e) => e.isFile() && !e.name.startsWith('.') && pattern.test(e.name));
  const first = scripts[0];
  if (!first) return;
  throw usageError(
    `${folder}: ${first.name} is a ${ext === '.go' ? 'Go' : 'JavaScript/TypeScript'} migration; pg-rehearse reads ${tool}'s SQL migrations only`,
    `pass --migrate-command "${command}" to run ${tool} itself`,
  );
}
