import { type Command, Option } from 'commander';
import { readConfigFile, resolvePlan, validate, type RunConfig } from '../config/index.ts';
import { ExitCode, usageError } from '../core/errors.ts';
import {
  cacheList,
  cachePrune,
  cacheRemove,
  defaultCacheDir,
  formatBytes,
  parseAge,
  parseBytes,
  provisionDataset,
  type CacheEntry,
} from '../snapshot/index.ts';
import { interrupted, onExitCleanup } from '../core/cleanup.ts';
import { createLogger } from '../core/log.ts';
import { maskUrl } from '../core/mask.ts';

/**
 * `rehearse prepare` (load a dataset and save its snapshot, nothing else) and `rehearse cache
 * ls|rm|prune` (docs/snapshots.md).
 */
export function addSnapshotCommands(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('prepare')
    .description('load the dataset (--dump or --fixture, as for run) and save its snapshot, so that later runs start from a clone')
    .addOption(new Option('--dump <path>', 'a pg_dump archive or plain SQL file'))
    .addOption(new Option('--fixture <name>', 'a bundled synthetic dataset (shop)'))
    .addOption(new Option('--scale <n>', 'fixture size'))
    .addOption(new Option('--seed <n>', 'fixture random seed (default 42)'))
    .addOption(new Option('--provider <name>', 'embedded (default), container or url').choices(['embedded', 'container', 'url']))
    .addOption(new Option('--postgres <major>', 'PostgreSQL major for the embedded server (container: the image postgres:<major>)'))
    .addOption(new Option('--image <image>', 'container provider: the PostgreSQL image (default postgres:<--postgres or 17>)'))
    .addOption(new Option('--container-network <mode>', 'container provider: "host" for engines where port publishing is unavailable'))
    .addOption(new Option('--database-url <url>', 'url provider: the server that keeps the template database'))
    .addOption(
      new Option(
        '--cache-dir <dir>',
        'embedded, container: where snapshots are kept (default $PG_REHEARSE_CACHE/snapshots or node_modules/.cache/pg-rehearse/snapshots)',
      ),
    )
    .addOption(new Option('--config <file>', 'config file (default: ./rehearse.config.* if present)'))
    .addOption(new Option('--quiet', 'no progress'))
    .addHelpText(
      'after',
      '\nExample:\n  $ rehearse prepare --dump prod.dump && rehearse run --dump prod.dump --migrations a/ && rehearse run --dump prod.dump --migrations b/',
    )
    .action(async (opts: Record<string, unknown>) => setExitCode(await prepareCommand(opts)));

  const cache = program.command('cache').description('list and remove saved dataset snapshots (docs/snapshots.md)');
  const scope = (c: Command) =>
    c
      .addOption(new Option('--cache-dir <dir>', 'the snapshot folder (default $PG_REHEARSE_CACHE/snapshots or node_modules/.cache/pg-rehearse/snapshots)'))
      .addOption(new Option('--database-url <url>', 'also the template databases (url provider) on this server'));
  scope(cache.command('ls').description('list snapshots: key, source, size, age, last use, where').addOption(new Option('--json', 'as JSON'))).action(
    async (opts: Record<string, unknown>) => {
      const entries = await cacheList(scopeOf(opts));
      if (opts.json) process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
      else process.stdout.write(renderEntries(entries, opts) + '\n');
      setExitCode(ExitCode.ok);
    },
  );
  scope(cache.command('rm').description('remove the snapshot of a key (or a unique prefix of it)').argument('<key>')).action(
    async (key: string, opts: Record<string, unknown>) => {
      const removed = await cacheRemove(scopeOf(opts), key);
      for (const e of removed) process.stderr.write(`removed ${e.key} (${formatBytes(e.bytes)}, ${e.location})\n`);
      setExitCode(ExitCode.ok);
    },
  );
  scope(
    cache
      .command('prune')
      .description('remove unfinished snapshots left by killed runs, then the least recently used beyond --max-size or unused for --older-than')
      .addOption(new Option('--max-size <size>', 'keep at most this much, e.g. 20GB'))
      .addOption(new Option('--older-than <age>', 'remove snapshots not used for this long, e.g. 7d')),
  ).action(async (opts: Record<string, unknown>) => {
    const maxBytes = opts.maxSize === undefined ? undefined : parseBytes(String(opts.maxSize));
    if (maxBytes === null) throw usageError(`--max-size ${String(opts.maxSize)}: not a size`, 'e.g. --max-size 20GB');
    const olderThanMs = opts.olderThan === undefined ? undefined : parseAge(String(opts.olderThan));
    if (olderThanMs === null) throw usageError(`--older-than ${String(opts.olderThan)}: not an age`, 'e.g. --older-than 7d (m, h, d, w)');
    const removed = await cachePrune(scopeOf(opts), { ...(maxBytes !== undefined ? { maxBytes } : {}), ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
    const freed = removed.reduce((n, e) => n + e.bytes, 0);
    for (const e of removed) process.stderr.write(`removed ${e.key}${e.incomplete ? ' (unfinished)' : ''} (${formatBytes(e.bytes)}, ${e.location})\n`);
    process.stderr.write(`pruned ${removed.length} snapshot(s), ${formatBytes(freed)} freed\n`);
    setExitCode(ExitCode.ok);
  });
}

const scopeOf = (opts: Record<string, unknown>) => ({
  ...(opts.cacheDir ? { dir: String(opts.cacheDir) } : {}),
  ...(opts.databaseUrl ? { databaseUrl: String(opts.databaseUrl) } : {}),
});

function renderEntries(entries: CacheEntry[], opts: Record<string, unknown>): string {
  const where = `${opts.cacheDir ? String(opts.cacheDir) : defaultCacheDir()}${opts.databaseUrl ? ` and ${maskUrl(String(opts.databaseUrl))}` : ''}`;
  if (entries.length === 0) return `no snapshots in ${where}`;
  const now = Date.now();
  const age = (iso: string | null) => (iso ? ago(now - Date.parse(iso)) : '-');
  const rows = entries.map((e) => [
    e.key + (e.incomplete ? ' (unfinished)' : ''),
    e.provider,
    formatBytes(e.bytes),
    age(e.createdAt),
    age(e.usedAt),
    e.source,
    e.location,
  ]);
  const head = ['KEY', 'PROVIDER', 'SIZE', 'AGE', 'USED', 'SOURCE', 'WHERE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  return [line(head), ...rows.map(line), `${entries.length} snapshot(s), ${formatBytes(total)} in ${where}`].join('\n');
}

function ago(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 90) return `${Math.round(s)}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 129600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

async function prepareCommand(opts: Record<string, unknown>): Promise<number> {
  const { config: file } = await readConfigFile(opts.config as string | undefined);
  const { config: _c, quiet, ...rest } = opts;
  const flags: RunConfig = validate(rest, 'flags');
  if (!flags.dump && !flags.fixture && !file.dump && !file.fixture)
    throw usageError('prepare needs --dump or --fixture', 'the dataset whose snapshot later runs start from');
  // the dataset part of a run's plan; prepare replays nothing, so the migration folder is a placeholder
  const plan = resolvePlan({ ...file, migrations: undefined, migrateCommand: undefined }, { ...flags, migrations: '.', cache: true });
  const log = createLogger({ quiet: Boolean(quiet) });
  const started = performance.now();
  const { instance, dataset } = await provisionDataset(plan.provision, plan.load, plan.cache!, log);
  const stopping = onExitCleanup(() => instance.stop());
  await instance.stop();
  stopping();
  if (interrupted()) return ExitCode.interrupted;
  const s = dataset.snapshot;
  const took = ((performance.now() - started) / 1000).toFixed(1);
  if (!s) process.stderr.write(`dataset loaded in ${took} s; no snapshot (this provider keeps none)\n`);
  else if (s.hit) process.stderr.write(`snapshot ${s.key} already saved (${formatBytes(s.bytes ?? 0)}, ${s.createdAt}); nothing to do\n`);
  else if (s.createdAt) process.stderr.write(`snapshot ${s.key} ready (${formatBytes(s.bytes ?? 0)}) in ${took} s\n`);
  else {
    process.stderr.write(`snapshot ${s.key} not saved (see the warning above)\n`);
    return ExitCode.infrastructure;
  }
  return ExitCode.ok;
}
