import { writeFile } from 'node:fs/promises';
import { ExitCode } from '../core/errors.ts';
import { collectStats, tablesWithoutColumnStats } from '../stats/index.ts';
import { shown } from './options.ts';
import type { StatsCommandOptions } from './flags.ts';

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
