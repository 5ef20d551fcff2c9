import { readIfThere } from './folder.ts';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.ts';
import type { Layout, MigrationSource, ScriptSource } from './layouts.ts';

/**
 * diesel's migrations folder (diesel_migrations, `FileBasedMigrations`): one subfolder per migration
 * (`2019-02-26-002946_create_posts`, `00000000000000_diesel_initial_setup`, or diesel 2.2's
 * `YYYY-MM-DD-HHMMSS-XXXX_name`), holding `up.sql`, `down.sql` and optionally `metadata.toml`.
 * As diesel reads it: hidden entries and files are not migrations; a subfolder without `up.sql` makes
 * the whole folder invalid (`UnknownMigrationFormat`); the version is the folder name up to the first
 * `_` with every `-` removed (`migrations_internals::version_from_string`); migrations run in version
 * order (string order); `__diesel_schema_migrations.version` records that version.
 */

export const DIESEL_TABLE = '__diesel_schema_migrations';

/** diesel's version of a folder name: up to the first `_`, dashes removed. */
export function dieselVersion(folderName: string): string {
  return (folderName.split('_')[0] ?? '').replaceAll('-', '');
}

/**
 * `run_in_transaction` as diesel's `TomlMetadata` reads it: no metadata.toml → true; a file that
 * parses but does not set it → false (serde's default for a bool); a file that does not parse → true.
 * Only the top-level key is read (before any `[table]`); a value other than true/false counts as unparsable.
 */
export function runInTransaction(toml: string | undefined): boolean {
  if (toml === undefined) return true;
  const top = toml.split(/^\s*\[/m)[0] ?? '';
  const m = /^\s*run_in_transaction\s*=\s*(\S+)\s*(#.*)?$/m.exec(top);
  if (!m) return false;
  if (m[1] === 'true') return true;
  if (m[1] === 'false') return false;
  return true;
}

/** true when `dir` looks like a diesel migrations folder: a visible subfolder holding up.sql, down.sql or metadata.toml. */
export async function isDieselFolder(dir: string, entries: Dirent[]): Promise<boolean> {
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const inside = await readdirNames(path.join(dir, e.name));
    if (inside.includes('up.sql') || inside.includes('down.sql') || inside.includes('metadata.toml')) return true;
  }
  return false;
}

const readdirNames = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);

export async function readDiesel(folder: string, entries: Dirent[]): Promise<Layout> {
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const sources: MigrationSource[] = [];
  const seen = new Map<string, string>();
  for (const name of folders) {
    const dir = path.join(folder, name);
    const version = dieselVersion(name);
    if (!/^\d+$/.test(version) || !name.includes('_')) {
      throw usageError(
        `${dir}: the diesel migration folder name must be <version>_<name> with a numeric version (e.g. 2019-02-26-002946_create_posts)`,
        'rename the folder as `diesel migration generate` names them',
      );
    }
    const up = await readIfThere(path.join(dir, 'up.sql'));
    if (up === undefined) {
      throw usageError(
        `${dir} has no up.sql; diesel refuses such a migrations folder too (UnknownMigrationFormat)`,
        'add the up.sql file or remove the folder',
      );
    }
    const clash = seen.get(version);
    if (clash)
      throw usageError(`${folder}: the diesel migrations ${clash} and ${name} have the same version ${version}`, 'give each migration its own timestamp');
    seen.set(version, name);
    const inTransaction = runInTransaction(await readIfThere(path.join(dir, 'metadata.toml')));
    const script = (file: string, text: string): ScriptSource => ({ file, text, lineOffset: 0, inTransaction });
    const down = await readIfThere(path.join(dir, 'down.sql'));
    sources.push({
      id: version,
      name: name.slice(name.indexOf('_') + 1),
      up: script(path.join(dir, 'up.sql'), up),
      ...(down !== undefined ? { down: script(path.join(dir, 'down.sql'), down) } : {}),
    });
  }
  if (sources.length === 0) throw usageError(`no diesel migration folders in ${folder}`, 'pass the migrations folder that holds <version>_<name>/up.sql');
  // diesel sorts by version as a string
  sources.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { format: 'diesel', sources };
}
