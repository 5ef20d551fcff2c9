import { writeFile } from 'node:fs/promises';
import { ExitCode } from '../core/errors.ts';
import { collectStats, tablesWithoutColumnStats } from '../stats/index.ts';
import { defineCommand, shown } from './options.ts';
import { STATS_OPTIONS, type StatsCommandOptions } from './flags.ts';

/** `rehearse stats`: a database's shape from its catalog, no row values unless asked (docs/stats.md). */
const STATS_HELP = `
Examples:
  $ rehearse stats --database-url postgresql://readonly@prod/app --out prod-stats.json
  $ pg_dump --schema-only --no-owner --no-privileges -f schema.sql postgresql://readonly@prod/app
  $ rehearse run --schema schema.sql --synthesize prod-stats.json --fraction 0.01 --migrations db/migrations

Catalog only (pg_class, pg_stat_all_tables, pg_index, pg_stats), in one read-only transaction.`;

export const STATS_COMMAND = defineCommand({
  name: 'stats',
  description:
    "read a database's shape from its catalog — rows, sizes, indexes, per-column null fraction, distinct count, width — without a row value (docs/stats.md)",
  options: STATS_OPTIONS,
  help: STATS_HELP,
  run: (_args, opts) => statsCommand(opts),
});

export async function statsCommand(opts: StatsCommandOptions): Promise<number> {
  if (!opts.databaseUrl) {
    process.stderr.write("error: required option '--database-url <url>' not specified\n");
    return ExitCode.usage;
  }
  const stats = await collectStats(opts.databaseUrl, { includeValues: Boolean(opts.includeValues) });
  const json = JSON.stringify(stats, null, 2) + '\n';
  if (opts.out) {
    await writeFile(opts.out, json);
    const tables = Object.values(stats.tables);
    const rows = Math.round(tables.reduce((s, t) => s + t.rows, 0)).toLocaleString('en-US');
    process.stderr.write(
      `${shown(opts.out)}: ${tables.length} tables, ${rows} rows${stats.includesValues ? ' (includes row values: most common values, histograms)' : ', no row values'}\n`,
    );
  } else {
    process.stdout.write(json);
  }
  const blind = tablesWithoutColumnStats(stats);
  if (blind.length) {
    process.stderr.write(`warning: no column statistics for ${blind.join(', ')}: never analysed, or this role may not SELECT them (see docs/stats.md)\n`);
  }
  return ExitCode.ok;
}
