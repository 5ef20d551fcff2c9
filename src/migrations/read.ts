import { usageError } from '../errors.ts';
import { readSqlFiles } from './folder.ts';
import { readLayout, type MigrationSource, type ScriptSource } from './layouts.ts';
import { appliedFromOption, markPending, nothingApplied, type Applied } from './pending.ts';
import { splitStatements } from './split.ts';
import { readApplied } from './tracking.ts';
import type { Migration, MigrationFormat, MigrationScript, MigrationSet, ReadMigrationsOptions } from './types.ts';

/**
 * A folder of migrations: its layout, every migration split into statements, ordered by version,
 * each marked pending or not from --from or the tool's tracking table in the loaded database.
 */
export async function readMigrations(folder: string, options: ReadMigrationsOptions): Promise<MigrationSet> {
  // check --from before any work, so a typo fails fast
  const fromOption = options.from === undefined ? undefined : appliedFromOption(options.from);
  const layout = readLayout(folder, await readSqlFiles(folder));
  const migrations = await Promise.all(layout.sources.map((source) => toMigration(source, layout.format)));
  const applied: Applied = fromOption ?? (options.url ? await readApplied(options.url, layout.format) : nothingApplied);
  return {
    folder,
    format: layout.format,
    migrations: markPending(migrations, applied),
    trackingTable: applied.table,
  };
}

async function toScript(source: ScriptSource): Promise<MigrationScript> {
  return {
    file: source.file,
    statements: await splitStatements(source.text, source.file, source.lineOffset),
    inTransaction: source.inTransaction,
  };
}

async function toMigration(source: MigrationSource, format: MigrationFormat): Promise<Omit<Migration, 'pending'>> {
  if (source.preamble) {
    const [stray] = await splitStatements(source.preamble.text, source.preamble.file, source.preamble.lineOffset);
    if (stray) {
      throw usageError(
        `${source.preamble.file}:${stray.line}: statement before "-- migrate:up"; dbmate runs only what its sections hold`,
        'move the statement below "-- migrate:up" (or "-- migrate:down")',
      );
    }
  }
  return {
    id: source.id,
    name: source.name,
    format,
    up: await toScript(source.up),
    ...(source.down ? { down: await toScript(source.down) } : {}),
  };
}
