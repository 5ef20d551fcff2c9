import { usageError } from '../core/errors.ts';
import type { Layout, MigrationSource, ScriptSource, SourceFile } from './layouts.ts';

/**
 * sqlx's migrations folder (sqlx-core `migrate/source.rs`): `<VERSION>_<DESCRIPTION>.sql` (simple,
 * no down) or `<VERSION>_<DESCRIPTION>.up.sql` + `.down.sql` (reversible). As sqlx reads it: the
 * name is cut at its first `_`; a name without `_` or not ending in `.sql` is ignored; the version
 * must parse as an i64 (else sqlx stops: "error parsing migration version"); the description is the
 * rest without its suffix, `_` read as a space; a file whose first bytes are `-- no-transaction`
 * runs outside a transaction; migrations run by version. `_sqlx_migrations.version` records it.
 */

export const SQLX_TABLE = '_sqlx_migrations';
export const SQLX_NO_TX = '-- no-transaction';
const I64_MAX = 9223372036854775807n;

/** true when some file of the folder carries sqlx's own marker. */
export function hasSqlxMarker(files: SourceFile[]): boolean {
  return files.some((f) => f.text.startsWith(SQLX_NO_TX));
}

export function readSqlx(folder: string, files: SourceFile[]): Layout {
  const byVersion = new Map<string, { id: string; up?: ScriptSource; down?: ScriptSource; name: string; upFile?: string; downFile?: string }>();
  for (const file of files) {
    const cut = file.name.indexOf('_');
    if (cut === -1 || !file.name.endsWith('.sql')) continue;
    const versionText = file.name.slice(0, cut);
    if (!/^[+]?\d+$/.test(versionText) || BigInt(versionText) > I64_MAX) {
      throw usageError(
        `${file.path}: "${versionText}" is not a migration version; sqlx stops on it too (error parsing migration version)`,
        'name the file <version>_<description>.sql with a numeric version',
      );
    }
    const version = BigInt(versionText).toString();
    const written = versionText;
    const rest = file.name.slice(cut + 1);
    const role = rest.endsWith('.down.sql') ? 'down' : 'up';
    const description = rest.replace(/(\.up|\.down)?\.sql$/, '').replaceAll('_', ' ');
    const entry = byVersion.get(version) ?? { id: written, name: description };
    byVersion.set(version, entry);
    const previous = role === 'up' ? entry.upFile : entry.downFile;
    if (previous) {
      throw usageError(`${folder}: ${previous} and ${file.name} are both the ${role} migration of version ${version}`, 'give each migration its own version');
    }
    const script: ScriptSource = { file: file.path, text: file.text, lineOffset: 0, inTransaction: !file.text.startsWith(SQLX_NO_TX) };
    if (role === 'up') {
      entry.up = script;
      entry.id = written;
      entry.upFile = file.name;
      entry.name = description;
    } else {
      entry.down = script;
      entry.downFile = file.name;
    }
  }
  const sources: MigrationSource[] = [];
  for (const [version, entry] of byVersion) {
    if (!entry.up) {
      throw usageError(
        `${folder}: ${entry.downFile} is a down migration without an up migration of version ${version}`,
        'add the up migration or remove the down file',
      );
    }
    sources.push({ id: entry.id, name: entry.name, up: entry.up, ...(entry.down ? { down: entry.down } : {}) });
  }
  if (sources.length === 0) throw usageError(`no sqlx migrations in ${folder}`, 'pass the folder holding <version>_<description>.sql files');
  sources.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return { format: 'sqlx', sources };
}
