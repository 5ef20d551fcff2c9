import { usageError } from '../core/errors.ts';
import type { Layout, MigrationSource, ScriptSource, SourceFile } from './layouts.ts';

/**
 * Liquibase formatted SQL changelogs (Liquibase `FormattedSqlChangeLogParser`): a file whose first
 * line is `--liquibase formatted sql`, cut into changesets by `--changeset author:id [attr:value …]`
 * lines. Read as Liquibase reads it:
 *
 * - a changeset runs to the next `--changeset` line (or the end of the file);
 * - `runInTransaction:false` runs it outside a transaction; `dbms:` without postgresql (or with
 *   `!postgresql`) skips it, as Liquibase does on PostgreSQL;
 * - `--rollback <sql>` lines (several in a row join) and `/* liquibase rollback … *\/` blocks are its
 *   rollback, used by --rollback; `--rollback not required` / `--rollback empty` mean none;
 * - `--comment`, `--preconditions`, `--precondition-*` lines are comments to the replay (preconditions
 *   are not evaluated);
 * - the files of a folder are read in name order (as `includeAll` orders them), changesets in file order.
 *
 * `databasechangelog` records each run changeset by id, author and file name. pg-rehearse's id for a
 * changeset is its position (1, 2, …), its name `author:id`.
 */

export const LIQUIBASE_TABLE = 'databasechangelog';
const HEADER = /^--\s*liquibase\s+formatted\s+sql\b/i;
const CHANGESET = /^--\s*changeset\s*(.*)$/i;
const ROLLBACK = /^--\s*rollback\s?(.*)$/i;

export function isLiquibaseFile(text: string): boolean {
  return HEADER.test(text.split('\n', 1)[0] ?? '');
}

interface Changeset {
  author: string;
  id: string;
  file: SourceFile;
  /** 0-based line of the --changeset line */
  line: number;
  end: number;
  attributes: Map<string, string>;
}

/** `author:id attr:value …`; a quoted author may hold spaces. */
function parseHeader(rest: string, where: string): { author: string; id: string; attributes: Map<string, string> } {
  const m = /^(?:"([^"]*)"|([^\s:]*)):(\S*)(.*)$/.exec(rest.trim());
  const author = m ? (m[1] ?? m[2] ?? '') : '';
  const id = m?.[3] ?? '';
  if (!m || author === '' || id === '') {
    throw usageError(
      `${where}: the changeset has no ${author === '' && m ? 'author' : 'id'} ("--changeset ${rest.trim()}"); Liquibase refuses it too`,
      'write it as --changeset author:id (e.g. --changeset alice:add-orders-index)',
    );
  }
  const attributes = new Map<string, string>();
  for (const pair of m[4]!.trim().split(/\s+/)) {
    const cut = pair.indexOf(':');
    if (cut > 0) attributes.set(pair.slice(0, cut).toLowerCase(), pair.slice(cut + 1));
  }
  return { author, id, attributes };
}

/** Liquibase runs a changeset on PostgreSQL unless its dbms list leaves it out. */
function runsOnPostgres(dbms: string | undefined): boolean {
  if (dbms === undefined) return true;
  const list = dbms
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (list.includes('!postgresql')) return false;
  const positive = list.filter((d) => !d.startsWith('!'));
  return positive.length === 0 || positive.includes('postgresql') || positive.includes('all');
}

/** The rollback SQL of a changeset's lines, with where it starts; undefined when there is none. */
function rollbackOf(lines: string[], from: number, to: number): { text: string; lineOffset: number } | undefined {
  const parts: string[] = [];
  let first = -1;
  let block = false;
  for (let i = from; i < to; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (block) {
      if (/\*\/\s*$/.test(line)) {
        parts.push(line.replace(/\*\/\s*$/, ''));
        block = false;
      } else parts.push(line);
      continue;
    }
    const open = /^\/\*\s*liquibase\s+rollback\s*(.*)$/i.exec(line);
    if (open) {
      if (first === -1) first = i;
      block = !/\*\/\s*$/.test(open[1]!);
      parts.push(open[1]!.replace(/\*\/\s*$/, ''));
      continue;
    }
    const m = ROLLBACK.exec(line);
    if (!m) continue;
    if (first === -1) first = i;
    parts.push(m[1]!);
  }
  if (first === -1) return undefined;
  const text = parts.join('\n');
  if (/^\s*(not\s+required|empty)\s*$/i.test(text)) return undefined;
  return { text, lineOffset: first };
}

export function readLiquibase(folder: string, files: SourceFile[]): Layout {
  const changesets: Changeset[] = [];
  for (const file of files) {
    if (!isLiquibaseFile(file.text)) {
      throw usageError(
        `${file.path} does not start with "--liquibase formatted sql"; the other files of ${folder} are Liquibase formatted SQL`,
        'add the header line, or move the file out of the folder',
      );
    }
    const lines = file.text.split('\n');
    let current: Changeset | undefined;
    for (let i = 1; i < lines.length; i++) {
      const m = CHANGESET.exec(lines[i]!.replace(/\r$/, ''));
      if (!m) continue;
      if (current) current.end = i;
      current = { ...parseHeader(m[1]!, `${file.path}:${i + 1}`), file, line: i, end: lines.length };
      changesets.push(current);
    }
  }
  if (changesets.length === 0) throw usageError(`no Liquibase changesets in ${folder}`, 'start each changeset with --changeset author:id');
  const seen = new Map<string, Changeset>();
  const sources: MigrationSource[] = [];
  const width = String(changesets.length).length;
  for (const cs of changesets) {
    const key = `${cs.id}::${cs.author}::${cs.file.name}`;
    const twin = seen.get(key);
    if (twin) {
      throw usageError(
        `${cs.file.path}:${cs.line + 1}: changeset ${cs.author}:${cs.id} appears twice (also line ${twin.line + 1}); Liquibase refuses duplicate changesets`,
        'give each changeset its own id',
      );
    }
    seen.set(key, cs);
    if (!runsOnPostgres(cs.attributes.get('dbms'))) continue;
    const lines = cs.file.text.split('\n');
    const inTransaction = cs.attributes.get('runintransaction')?.toLowerCase() !== 'false';
    const body: ScriptSource = { file: cs.file.path, text: lines.slice(cs.line + 1, cs.end).join('\n'), lineOffset: cs.line + 1, inTransaction };
    const rollback = rollbackOf(lines, cs.line + 1, cs.end);
    // the body keeps the rollback lines and blocks: they are comments to the parser
    sources.push({
      id: String(sources.length + 1).padStart(width, '0'),
      name: `${cs.author}:${cs.id}`,
      up: body,
      ...(rollback ? { down: { file: cs.file.path, text: rollback.text, lineOffset: rollback.lineOffset, inTransaction } } : {}),
      trackingKey: `${cs.id}::${cs.author}`,
    });
  }
  return { format: 'liquibase', sources };
}
