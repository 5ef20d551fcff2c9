import { writeFile } from 'node:fs/promises';
import { parseDuration } from '../core/duration.ts';
import { ExitCode, usageError } from '../core/errors.ts';
import { collectStats, tablesWithoutColumnStats } from '../stats/index.ts';
import { shown } from './options.ts';
import type { StatsCommandOptions } from './flags.ts';

export async function statsCommand(opts: StatsCommandOptions): Promise<number> {
  if (!opts.databaseUrl) {
    process.stderr.write("error: required option '--database-url <url>' not specified\n");
    return ExitCode.usage;
  }
  const traffic = opts.statements === false ? undefined : { windowMs: windowOf(opts.window) };
  if (traffic && opts.out) process.stderr.write(`watching the traffic for ${traffic.windowMs / 1000} s (--window; --no-statements skips it)\n`);
  const stats = await collectStats(opts.databaseUrl, { includeValues: Boolean(opts.includeValues), ...(traffic ? { traffic } : {}) });
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
  const t = stats.traffic;
  if (t?.statementsUnavailable) process.stderr.write(`warning: no statements recorded: ${t.statementsUnavailable}; the rest of the file is written\n`);
  else if (t?.statements && opts.out) {
    const rate = t.statements.reduce((s, x) => s + x.callsPerSec, 0);
    const left = t.skipped ? t.skipped.utility + t.skipped.withConstants + t.skipped.unparsable : 0;
    process.stderr.write(
      `${shown(opts.out)}: ${t.statements.length} statements over ${(t.windowMs / 1000).toFixed(1)} s (${Math.round(rate * 10) / 10} calls/s), ${t.activity?.maxConnections ?? 0} connections at most` +
        (left ? `; left out: ${t.skipped!.utility} utility, ${t.skipped!.withConstants} still carrying a constant, ${t.skipped!.unparsable} unreadable` : '') +
        '\n',
    );
  }
  const blind = tablesWithoutColumnStats(stats);
  if (blind.length) {
    process.stderr.write(`warning: no column statistics for ${blind.join(', ')}: never analysed, or this role may not SELECT them (see docs/stats.md)\n`);
  }
  return ExitCode.ok;
}

/** The default window: short, so a plain `rehearse stats` stays quick (docs/stats.md). */
export const DEFAULT_WINDOW_MS = 10_000;

function windowOf(window: string | undefined): number {
  if (window === undefined) return DEFAULT_WINDOW_MS;
  const ms = parseDuration(window);
  if (ms === null || ms <= 0 || ms > 3_600_000) throw usageError(`--window ${window}: expected a duration from 1ms to 1h with its unit, like 10s or 2m`);
  return ms;
}
