import { usageError } from '../core/errors.ts';
import type { Layout, MigrationSource, ScriptSource, SourceFile } from './layouts.ts';

/**
 * goose's SQL migrations (pressly/goose v3, `internal/sqlparser`): `<version>_<name>.sql`, the version
 * an integer (sequential `00001` or a timestamp `20170506082420`), sections marked by annotations —
 * comment lines starting `-- +goose` (no leading space, case-insensitive):
 *
 * - `-- +goose Up` (mandatory) starts the up section, `-- +goose Down` (optional, after it) the down;
 * - `-- +goose StatementBegin` / `StatementEnd` bracket a statement holding semicolons (goose sends
 *   it as one query; the replay splits it with the parser, which gives the same statements);
 * - `-- +goose NO TRANSACTION` anywhere: both sections run outside a transaction;
 * - `-- +goose ENVSUB ON/OFF`: not applied (the text is replayed as written).
 *
 * Migrations run by version; `goose_db_version.version_id` records it.
 */

export const GOOSE_TABLE = 'goose_db_version';
const ANNOTATION = /^--\s*\+goose\s+(.*?)\s*$/i;
const FILE_NAME = /^(\d+)_(.+)\.sql$/;

export function hasGooseMarker(text: string): boolean {
  return /^--\s*\+goose\s+up\b/im.test(text);
}

/** true when the folder holds goose migrations: some .sql file carries a `-- +goose` annotation. */
export function isGooseFolder(files: SourceFile[]): boolean {
  return files.some((f) => /^--\s*\+goose\s/im.test(f.text));
}

interface Sections {
  up?: { from: number; to: number };
  down?: { from: number; to: number };
  noTransaction: boolean;
  /** first line (0-based) holding SQL before the up annotation, if any */
  strayLine?: number;
}

function sections(text: string): Sections {
  const lines = text.split('\n');
  const result: Sections = { noTransaction: false };
  let current: 'none' | 'up' | 'down' = 'none';
  let inBlock = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const m = ANNOTATION.exec(line);
    if (!m) {
      if (current === 'none' && !inBlock && result.strayLine === undefined && line.trim() !== '' && !line.trim().startsWith('--')) result.strayLine = i;
      continue;
    }
    const word = m[1]!.toLowerCase().replace(/\s+/g, ' ');
    if (word === 'up' && current === 'none') {
      current = 'up';
      result.up = { from: i + 1, to: lines.length };
    } else if (word === 'down' && current !== 'down') {
      if (result.up) result.up.to = i;
      current = 'down';
      result.down = { from: i + 1, to: lines.length };
    } else if (word === 'no transaction') result.noTransaction = true;
    else if (word === 'statementbegin') inBlock = true;
    else if (word === 'statementend') inBlock = false;
  }
  return result;
}

export function readGoose(folder: string, files: SourceFile[]): Layout {
  const sources: MigrationSource[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const named = FILE_NAME.exec(file.name);
    if (!named) {
      throw usageError(`${folder}: ${file.name} does not fit the goose layout of the other files`, 'name goose migrations <version>_<name>.sql');
    }
    const parsed = sections(file.text);
    if (!parsed.up) {
      throw usageError(
        `${file.path} has no "-- +goose Up" annotation; goose refuses such a file too`,
        'start the up section with a line "-- +goose Up" (and the down section with "-- +goose Down")',
      );
    }
    if (parsed.strayLine !== undefined) {
      throw usageError(`${file.path}:${parsed.strayLine + 1}: SQL before "-- +goose Up"; goose refuses it`, 'move it below the "-- +goose Up" line');
    }
    const key = BigInt(named[1]!).toString();
    const clash = seen.get(key);
    if (clash) throw usageError(`${folder}: ${clash} and ${file.name} have the same goose version ${named[1]}`, 'give each migration its own version');
    seen.set(key, file.name);
    const lines = file.text.split('\n');
    const section = (range: { from: number; to: number }): ScriptSource => ({
      file: file.path,
      text: lines.slice(range.from, range.to).join('\n'),
      lineOffset: range.from,
      inTransaction: !parsed.noTransaction,
    });
    sources.push({
      id: named[1]!,
      name: named[2]!,
      up: section(parsed.up),
      ...(parsed.down ? { down: section(parsed.down) } : {}),
    });
  }
  sources.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
  return { format: 'goose', sources };
}
