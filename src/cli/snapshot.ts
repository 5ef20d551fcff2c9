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
import type { CacheLsOptions, CachePruneOptions, CacheScopeOptions, PrepareOptions } from './flags.ts';

/** `rehearse cache ls`: the saved snapshots, listed (docs/snapshots.md). */
export async function cacheLsCommand(opts: CacheLsOptions): Promise<number> {
  const entries = await cacheList(scopeOf(opts));
  if (opts.json) process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
  else process.stdout.write(renderEntries(entries, opts) + '\n');
  return ExitCode.ok;
}

/** `rehearse cache rm <key>`: the snapshot of a key (or a unique prefix of it) removed. */
export async function cacheRmCommand(key: string, opts: CacheScopeOptions): Promise<number> {
  const removed = await cacheRemove(scopeOf(opts), key);
  for (const e of removed) process.stderr.write(`removed ${e.key} (${formatBytes(e.bytes)}, ${e.location})\n`);
  return ExitCode.ok;
}

/** `rehearse cache prune`: unfinished snapshots, then the least recently used beyond a size or unused for an age. */
export async function pruneCommand(opts: CachePruneOptions): Promise<number> {
  const maxBytes = opts.maxSize === undefined ? undefined : parseBytes(opts.maxSize);
  if (maxBytes === null) throw usageError(`--max-size ${opts.maxSize}: not a size`, 'e.g. --max-size 20GB');
  const olderThanMs = opts.olderThan === undefined ? undefined : parseAge(opts.olderThan);
  if (olderThanMs === null) throw usageError(`--older-than ${opts.olderThan}: not an age`, 'e.g. --older-than 7d (m, h, d, w)');
  const removed = await cachePrune(scopeOf(opts), { ...(maxBytes !== undefined ? { maxBytes } : {}), ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
  const freed = removed.reduce((n, e) => n + e.bytes, 0);
  for (const e of removed) process.stderr.write(`removed ${e.key}${e.incomplete ? ' (unfinished)' : ''} (${formatBytes(e.bytes)}, ${e.location})\n`);
  process.stderr.write(`pruned ${removed.length} snapshot(s), ${formatBytes(freed)} freed\n`);
  return ExitCode.ok;
}

const scopeOf = (opts: CacheScopeOptions) => ({
  ...(opts.cacheDir ? { dir: opts.cacheDir } : {}),
  ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
});

function renderEntries(entries: CacheEntry[], opts: CacheScopeOptions): string {
  const where = `${opts.cacheDir ?? defaultCacheDir()}${opts.databaseUrl ? ` and ${maskUrl(opts.databaseUrl)}` : ''}`;
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

/** `rehearse prepare`: load a dataset and save its snapshot, nothing else (docs/snapshots.md). */
export async function prepareCommand(opts: PrepareOptions): Promise<number> {
  const { config: file } = await readConfigFile(opts.config);
  const { config: _c, quiet, ...rest } = opts;
  const flags: RunConfig = validate(rest, 'flags');
  if (!flags.dump && !flags.fixture && !flags.synthesize && !file.dump && !file.fixture && !file.synthesize)
    throw usageError('prepare needs --dump, --fixture or --synthesize', 'the dataset whose snapshot later runs start from');
  // the dataset part of a run's plan; prepare replays nothing, so the migration folder is a placeholder
  const plan = resolvePlan({ ...file, migrations: undefined, migrateCommand: undefined }, { ...flags, migrations: '.', cache: true });
  const log = createLogger({ quiet: Boolean(quiet) });
  const started = performance.now();
  const { instance, dataset, afterwards } = await provisionDataset(plan.provision, plan.load, plan.cache!, log);
  const stopping = onExitCleanup(() => instance.stop());
  await instance.stop();
  stopping();
  if (interrupted()) return ExitCode.interrupted;
  await afterwards?.();
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
