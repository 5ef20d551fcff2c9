import { usageError } from '../core/errors.ts';
import type { MigrationSource, ScriptSource } from './layouts.ts';
import { readFolderLayout } from './locate.ts';
import { checkCopy, checkMeta, cutScript, type ScriptRunner } from './psql.ts';
import { appliedFromOption, markPending, nothingApplied, type Applied } from './pending.ts';
import { splitStatements } from './split.ts';
import { readApplied } from './tracking.ts';
import type { Migration, MigrationFormat, MigrationScript, MigrationSet, ReadMigrationsOptions, Statement } from './types.ts';

/**
 * A folder of migrations: its layout, every migration split into statements, ordered by version,
 * each marked pending or not from --from or the tool's tracking table in the loaded database.
 */
export async function readMigrations(folder: string, options: ReadMigrationsOptions): Promise<MigrationSet> {
  // check --from before any work, so a typo fails fast
  const fromOption = options.from === undefined ? undefined : appliedFromOption(options.from);
  const layout = await readFolderLayout(folder);
  const migrations = await Promise.all(layout.sources.map((source) => toMigration(source, layout.format)));
  const applied: Applied = fromOption ?? (options.url ? await readApplied(options.url, layout) : nothingApplied);
  return {
    folder,
    format: layout.format,
    migrations: markPending(migrations, applied),
    trackingTable: applied.table,
    ...(layout.project !== undefined ? { project: layout.project } : {}),
  };
}

/** How each tool runs a file: through psql (COPY rows and meta-commands), feeding COPY itself, or a plain driver. */
const RUNNERS: Record<MigrationFormat, ScriptRunner> = {
  plain: 'psql',
  sqitch: 'psql',
  flyway: 'copy',
  'golang-migrate': 'driver',
  dbmate: 'driver',
  prisma: 'driver',
  drizzle: 'driver',
  'node-pg-migrate': 'driver',
  diesel: 'driver',
  sqlx: 'driver',
  goose: 'driver',
  liquibase: 'driver',
  atlas: 'driver',
};

async function toScript(source: ScriptSource, format: MigrationFormat): Promise<MigrationScript> {
  const pieces = await cutScript(source.text, source.file, source.lineOffset);
  let statements: Statement[];
  if (pieces.length === 1) {
    statements = source.separator ? await splitPieces(source, source.separator) : await splitStatements(source.text, source.file, source.lineOffset);
  } else {
    statements = [];
    const runner = RUNNERS[format];
    for (const piece of pieces) {
      if (piece.kind === 'meta') checkMeta(piece.command, source.file, piece.line, runner, format);
      else if (piece.kind === 'copy-data') {
        checkCopy(source.file, piece.line - 1, runner, format);
        const copy = statements.at(-1);
        if (copy) copy.copyData = piece.data;
      } else {
        for (const statement of await splitStatements(piece.text, source.file, piece.lineOffset)) {
          statements.push({ ...statement, index: statements.length });
        }
      }
    }
  }
  return { file: source.file, statements, inTransaction: source.inTransaction };
}

/**
 * Drizzle: the text cut at every separator (as drizzle-orm cuts it, even inside a string), each
 * piece split on its own so no statement spans two pieces; lines stay lines of the whole file.
 */
async function splitPieces(source: ScriptSource, separator: string): Promise<Statement[]> {
  const statements: Statement[] = [];
  let start = 0;
  let lineOffset = source.lineOffset;
  while (start <= source.text.length) {
    const cut = source.text.indexOf(separator, start);
    const end = cut === -1 ? source.text.length : cut;
    const piece = source.text.slice(start, end);
    for (const statement of await splitStatements(piece, source.file, lineOffset)) {
      statements.push({ ...statement, index: statements.length });
    }
    if (cut === -1) break;
    lineOffset += newlines(source.text.slice(start, cut + separator.length));
    start = cut + separator.length;
  }
  return statements;
}

function newlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
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
    up: await toScript(source.up, format),
    ...(source.down ? { down: await toScript(source.down, format) } : {}),
    ...(source.verify ? { verify: await toScript(source.verify, format) } : {}),
  };
}
