import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.ts';
import type { Layout, MigrationSource } from './layouts.ts';
import { versionKey } from './version.ts';

/**
 * drizzle-kit's output folder: `<tag>.sql` files and `meta/_journal.json`, whose `entries`
 * (`{ idx, version, when, tag, breakpoints }`) list the migrations in the order drizzle-orm's
 * migrator runs them. As the migrator reads it: only the journal's entries are migrations (other
 * .sql files are ignored), each file is cut at every `--> statement-breakpoint` and each piece sent
 * on its own; the tracking table records the entry's `when` (milliseconds) as `created_at`.
 */

export const DRIZZLE_JOURNAL = path.join('meta', '_journal.json');
export const DRIZZLE_BREAKPOINT = '--> statement-breakpoint';
/** journal dialects whose migrations are PostgreSQL's SQL ('pg' in old journals) */
const POSTGRES_DIALECTS = ['postgresql', 'pg'];
/** the number drizzle-kit puts before a tag's name: the index (`0003_`) or a timestamp */
const TAG = /^(\d+)_(.+)$/;

export interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

const HINT = 'pass the folder drizzle-kit generate writes to (its "out"), with meta/_journal.json as drizzle-kit wrote it';

/** The journal's entries, checked; a usage error names the journal and what is wrong. */
export function parseJournal(text: string, file: string): JournalEntry[] {
  let journal: unknown;
  try {
    journal = JSON.parse(text);
  } catch (err) {
    throw usageError(`${file} is not valid JSON: ${(err as Error).message}`, HINT, err);
  }
  const record = typeof journal === 'object' && journal !== null ? (journal as Record<string, unknown>) : {};
  const dialect = record['dialect'];
  if (typeof dialect === 'string' && !POSTGRES_DIALECTS.includes(dialect)) {
    throw usageError(`${file} says dialect "${dialect}": these Drizzle migrations are not for PostgreSQL`, HINT);
  }
  const entries = record['entries'];
  if (!Array.isArray(entries)) throw usageError(`${file} has no "entries" list`, HINT);
  return entries.map((entry: unknown, position) => {
    const e = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
    const { idx, when, tag } = e;
    if (typeof tag !== 'string' || tag === '' || typeof when !== 'number' || !Number.isFinite(when)) {
      throw usageError(`${file}: entry ${position} needs a "tag" (text) and a "when" (milliseconds)`, HINT);
    }
    return { idx: typeof idx === 'number' ? idx : position, when, tag };
  });
}

/** The migrations of a drizzle-kit output folder, in journal order. */
export async function readDrizzle(folder: string): Promise<Layout> {
  const journalFile = path.join(folder, DRIZZLE_JOURNAL);
  const entries = parseJournal(await readFile(journalFile, 'utf8'), journalFile);
  if (entries.length === 0) throw usageError(`${journalFile} lists no migrations`, HINT);

  const seen = new Map<string, string>();
  const sources: MigrationSource[] = [];
  for (const entry of entries) {
    const m = TAG.exec(entry.tag);
    const id = m?.[1] ?? String(entry.idx).padStart(4, '0');
    const clash = seen.get(versionKey(id));
    if (clash) {
      throw usageError(`${journalFile}: the entries ${clash} and ${entry.tag} have the same number ${id}`, 'give each migration its own number');
    }
    seen.set(versionKey(id), entry.tag);
    const file = path.join(folder, `${entry.tag}.sql`);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        throw usageError(
          `${journalFile} lists ${entry.tag} but ${file} does not exist; drizzle's migrator stops there too`,
          'restore the file or regenerate the migrations with drizzle-kit',
        );
      }
      throw err;
    });
    sources.push({
      id,
      name: m?.[2] ?? entry.tag,
      // drizzle-orm runs every pending migration in one transaction: see docs/migration-formats.md
      up: { file, text: text.replace(/^\uFEFF/, ''), lineOffset: 0, inTransaction: true, separator: DRIZZLE_BREAKPOINT },
      trackingKey: String(entry.when),
    });
  }
  return { format: 'drizzle', sources };
}
