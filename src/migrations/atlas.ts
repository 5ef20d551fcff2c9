import { usageError } from '../core/errors.ts';
import type { Layout, MigrationSource, SourceFile } from './layouts.ts';

/**
 * An Atlas migration directory (ariga.io/atlas `migrate.LocalDir`, the default "atlas"
 * format): `<version>[_<name>].sql` files beside `atlas.sum`, the directory's integrity file (a
 * `h1:` sum of the whole directory, then one line per file: `<file> h1:<hash>`). As Atlas reads it:
 *
 * - the files are applied in name order; the version is the name up to the first `_` (or `.sql`);
 * - a file not listed in atlas.sum, or a listed file that is missing, fails `atlas migrate apply`
 *   ("checksum mismatch"): refused here with the same advice (`atlas migrate hash`); the hashes
 *   themselves are not recomputed;
 * - the file-level directive `-- atlas:txmode none` (in the header, before the first statement) runs
 *   the file outside a transaction; the default (`file`) runs each file in one transaction;
 * - Atlas has no down files (`atlas migrate down` computes them): `--rollback` has none to apply.
 *
 * Applied versions are rows of `atlas_schema_revisions.atlas_schema_revisions`.
 */

export const ATLAS_SUM = 'atlas.sum';
export const ATLAS_TABLE = 'atlas_schema_revisions.atlas_schema_revisions';
const FILE_NAME = /^(\d+)(?:_(.*))?\.sql$/;

/** The file names atlas.sum lists (its first line is the directory's own sum). */
export function sumFiles(sum: string): string[] {
  return sum
    .split('\n')
    .slice(1)
    .map((l) => /^(.+?)\s+h1:\S+\s*$/.exec(l.replace(/\r$/, ''))?.[1])
    .filter((f): f is string => f !== undefined);
}

/** txmode from the header directives (comment lines before the first statement). */
function txmode(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('--')) return undefined;
    const m = /^--\s*atlas:txmode\s+(\S+)/i.exec(line);
    if (m) return m[1]!.toLowerCase();
  }
  return undefined;
}

export function readAtlas(folder: string, files: SourceFile[], sum: string): Layout {
  if (!/^h1:\S+/.test(sum.split('\n', 1)[0] ?? '')) {
    throw usageError(`${folder}/${ATLAS_SUM} does not start with the directory's h1: sum; Atlas refuses it`, 'run atlas migrate hash to write it again');
  }
  const listed = new Set(sumFiles(sum));
  const names = new Set(files.map((f) => f.name));
  for (const f of files) {
    if (!listed.has(f.name)) {
      throw usageError(
        `${f.path} is not in ${ATLAS_SUM}; atlas migrate apply refuses the directory (checksum mismatch)`,
        'run atlas migrate hash after adding or editing a migration',
      );
    }
  }
  for (const name of listed) {
    if (name.endsWith('.sql') && !names.has(name)) {
      throw usageError(
        `${ATLAS_SUM} lists ${name}, which is not in ${folder}; atlas migrate apply refuses the directory (checksum mismatch)`,
        'restore the file, or run atlas migrate hash',
      );
    }
  }
  const sources: MigrationSource[] = [];
  const seen = new Map<string, string>();
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const m = FILE_NAME.exec(f.name);
    if (!m)
      throw usageError(
        `${f.path}: an Atlas migration file is named <version>_<name>.sql`,
        'name it as atlas migrate diff does (e.g. 20240101120000_add_orders.sql)',
      );
    const clash = seen.get(m[1]!);
    if (clash) throw usageError(`${folder}: ${clash} and ${f.name} have the same version ${m[1]}`, 'give each migration its own version');
    seen.set(m[1]!, f.name);
    const mode = txmode(f.text);
    if (mode !== undefined && mode !== 'none' && mode !== 'file' && mode !== 'all') {
      throw usageError(`${f.path}: "-- atlas:txmode ${mode}" is not an Atlas transaction mode`, 'use none, file or all');
    }
    sources.push({
      id: m[1]!,
      name: m[2] ?? '',
      up: { file: f.path, text: f.text, lineOffset: 0, inTransaction: mode !== 'none' },
    });
  }
  if (sources.length === 0)
    throw usageError(`no Atlas migration files in ${folder}`, 'pass the migrations directory holding atlas.sum and <version>_<name>.sql');
  return { format: 'atlas', sources };
}
