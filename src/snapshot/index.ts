import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SEED, fixturesDir, inspectDump, knownFixtures, loadDataset, type DatasetSummary, type LoadSpec } from '../load/index.ts';
import { bundledMajor, provision, type Instance, type ProvisionOptions } from '../provision/index.ts';
import { interrupted } from '../core/cleanup.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { TOOL_VERSION } from '../core/version.ts';
import { archiveStore, containerImage } from './archive.ts';
import { dataDirStore, defaultCacheDir, describeSource } from './datadir.ts';
import { formatBytes } from './disk.ts';
import { hashContentRemembered, hashFiles, snapshotKey } from './key.ts';
import { serverMajor, templateStore } from './template.ts';
import { AUTO_MIN_LOAD_MS, type CachePlan, type KeyParts, type KeySource, type SnapshotMeta, type SnapshotStore, type SnapshotUse } from './types.ts';

export type { CacheEntry, CacheMode, CachePlan, KeyParts, SnapshotMeta, SnapshotUse } from './types.ts';
export { AUTO_MIN_LOAD_MS } from './types.ts';
export { snapshotKey, hashContent, hashContentRemembered } from './key.ts';
export { defaultCacheDir } from './datadir.ts';
export { formatBytes, parseBytes } from './disk.ts';
export { cacheList, cacheRemove, cachePrune, type CacheScope } from './manage.ts';
export { choosePrune, parseAge, type PruneRule } from './prune.ts';

export type Dataset = DatasetSummary & { snapshot?: SnapshotUse };

export interface PreparedDataset {
  instance: Instance;
  dataset: Dataset;
  /** to run once the run's report is written (not after an interruption): readies the next run's clone (url) */
  afterwards?: () => Promise<void>;
}

/**
 * Provision a server and make the dataset ready on it: clone the snapshot of this dataset when one
 * is saved, else load it (restore or generate) and save a snapshot for the next run (--cache, or
 * by default when the load took AUTO_MIN_LOAD_MS or longer). A snapshot is taken after VACUUM
 * ANALYZE and CHECKPOINT, before anything of the rehearsal runs. On an error the server is stopped.
 * onProvisioned is told of the server as soon as it is up, before the load: a report of a run whose
 * load fails still names the server it ran on.
 */
export async function provisionDataset(
  options: ProvisionOptions,
  load: LoadSpec,
  cache: CachePlan,
  log: Logger,
  onProvisioned?: (instance: Instance) => void,
): Promise<PreparedDataset> {
  const store = snapshotsApply(options, load, cache) ? storeFor(options, cache) : null;
  if (!store || load.kind === 'none') return loadFresh(options, load, log, onProvisioned);
  // an unknown fixture: the load says so, with the known ones
  if (load.kind === 'fixture' && !(await knownFixtures()).includes(load.name)) return loadFresh(options, load, log, onProvisioned);

  const hashed = performance.now();
  const source = await keySource(load, path.join(cache.dir ?? defaultCacheDir(), '.dump-hashes.json'));
  const hashMs = Math.round(performance.now() - hashed);
  // url: the server's major; when it cannot be read, provisioning says why (with the URL masked)
  const container = options.provider === 'container' ? containerImage(options) : null;
  const pgMajor = options.provider === 'url' ? await serverMajor(options.databaseUrl!) : (container?.major ?? options.postgresMajor ?? bundledMajor());
  if (pgMajor === null) return loadFresh(options, load, log, onProvisioned);
  const parts: KeyParts = { format: 1, provider: options.provider, pgMajor, source, ...(container ? { image: container.image } : {}) };
  const key = snapshotKey(parts);

  const afterwards = store.prepareNext
    ? () => store.prepareNext!(key, log).catch((err: unknown) => log.warn(`no ready clone made for the next run: ${describeError(err)}`))
    : undefined;
  const saved = await store.find(key);
  if (saved) {
    const cloned = await cloneSnapshot(store, saved, options, log).catch((err: unknown) => err as Error);
    if (!(cloned instanceof Error)) {
      const { instance, readyMs, copyMs } = cloned;
      onProvisioned?.(instance);
      await store.touch(key);
      log.info(`dataset cloned from snapshot ${key} (${formatBytes(saved.bytes)}, saved ${saved.createdAt}) in ${(readyMs / 1000).toFixed(1)} s`);
      const { phaseMs: _phases, ...summary } = saved.dataset;
      return {
        instance,
        afterwards,
        dataset: {
          ...summary,
          source: load.kind === 'dump' && summary.source.kind === 'dump' ? { ...summary.source, path: load.path } : summary.source,
          loadMs: readyMs,
          snapshot: { key, hit: true, createdAt: saved.createdAt, bytes: saved.bytes, cloneMs: Math.round(copyMs || readyMs), saveMs: 0, hashMs },
        },
      };
    }
    // a snapshot that no longer starts (an image rebuilt with other user ids, a damaged copy) costs
    // a load, not the run: the dataset is loaded instead (and no snapshot saved: the key has one)
    if (interrupted()) throw cloned;
    log.warn(`snapshot ${key} did not start (${describeError(cloned)}); loading the dataset instead (rehearse cache rm ${key} removes the snapshot)`);
    const fresh = await loadFresh(options, load, log, onProvisioned);
    return { ...fresh, dataset: { ...fresh.dataset, snapshot: { key, hit: false, createdAt: null, bytes: null, cloneMs: 0, saveMs: 0, hashMs } } };
  }

  const { instance, dataset } = await loadFresh(options, load, log, onProvisioned);
  const snapshot: SnapshotUse = { key, hit: false, createdAt: null, bytes: null, cloneMs: 0, saveMs: 0, hashMs };
  if (cache.mode === 'auto' && dataset.loadMs < AUTO_MIN_LOAD_MS) {
    log.info(`no snapshot kept: loading took ${(dataset.loadMs / 1000).toFixed(1)} s (under ${AUTO_MIN_LOAD_MS / 1000} s; --cache keeps one)`);
    return { instance, dataset: { ...dataset, snapshot } };
  }
  const started = performance.now();
  try {
    const meta = await store.save(instance, { key, provider: options.provider, pgMajor, parts, dataset, toolVersion: TOOL_VERSION }, log);
    snapshot.saveMs = Math.round(performance.now() - started);
    if (meta) {
      snapshot.createdAt = meta.createdAt;
      snapshot.bytes = meta.bytes;
      const where = options.provider === 'url' ? `template database rehearse_snap_${key}` : path.join(cache.dir ?? defaultCacheDir(), key);
      log.info(`snapshot saved: ${formatBytes(meta.bytes)} in ${where} (${describeSource(meta)}); the next run with this dataset starts from it`);
      return { instance, afterwards, dataset: { ...dataset, snapshot } };
    }
  } catch (err) {
    log.warn(`snapshot not saved: ${describeError(err)}`);
  }
  return { instance, dataset: { ...dataset, snapshot } };
}

/** Start the run's server on a clone of a saved snapshot; readyMs: until it is up, copyMs: the copy (embedded). */
async function cloneSnapshot(
  store: SnapshotStore,
  saved: SnapshotMeta,
  options: ProvisionOptions,
  log: Logger,
): Promise<{ instance: Instance; readyMs: number; copyMs: number }> {
  const started = performance.now();
  let copyMs = 0;
  const cloneOptions = await store.cloneOptions(saved, options);
  const fill = cloneOptions.fromDataDir?.fill;
  if (fill && cloneOptions.fromDataDir) {
    cloneOptions.fromDataDir = {
      ...cloneOptions.fromDataDir,
      fill: async (target) => {
        const t = performance.now();
        await fill(target);
        copyMs = performance.now() - t;
      },
    };
  }
  const instance = await provision(cloneOptions, log);
  return { instance, readyMs: Math.round(performance.now() - started), copyMs };
}

/** Snapshots apply to loads of a dump, fixture or synthesis, on every provider, unless --no-cache (or a url run in the URL's own database). */
export function snapshotsApply(options: ProvisionOptions, load: LoadSpec, cache: CachePlan): boolean {
  if (cache.mode === 'never' || load.kind === 'none') return false;
  if (options.provider === 'url') return !options.useExistingDatabase;
  return true;
}

function storeFor(options: ProvisionOptions, cache: CachePlan): SnapshotStore | null {
  if (options.provider === 'embedded') return dataDirStore(cache.dir ?? defaultCacheDir());
  if (options.provider === 'container') return archiveStore(cache.dir ?? defaultCacheDir());
  if (options.provider === 'url' && options.databaseUrl) return templateStore(options.databaseUrl);
  return null;
}

/** Provision and load, no snapshot involved (the container provider restores with its own tools). */
async function loadFresh(options: ProvisionOptions, load: LoadSpec, log: Logger, onProvisioned?: (instance: Instance) => void): Promise<PreparedDataset> {
  const instance = await provision(options, log);
  try {
    onProvisioned?.(instance);
    const dataset = await loadDataset(instance.url, load, log, { container: instance.container });
    return { instance, dataset };
  } catch (err) {
    await instance.stop().catch(() => undefined);
    throw err;
  }
}

async function keySource(load: Exclude<LoadSpec, { kind: 'none' }>, memo: string): Promise<KeySource> {
  if (load.kind === 'dump') {
    const dump = await inspectDump(load.path);
    const h = await hashContentRemembered(load.path, memo);
    return { kind: 'dump', sha256: h.sha256, bytes: h.bytes, format: dump.format };
  }
  if (load.kind === 'synthesize') {
    // synthesis is deterministic: the same schema, statistics, fraction and seed make the same rows
    return {
      kind: 'synthesize',
      schemaSha256: await hashFiles([load.schema]),
      statsSha256: await hashFiles([load.stats]),
      fraction: load.fraction,
      seed: load.seed,
    };
  }
  const dir = path.join(fixturesDir(), load.name);
  const definitionSha256 = await hashFiles([path.join(dir, 'schema.sql'), path.join(dir, 'generate.sql')]);
  return { kind: 'fixture', name: load.name, scale: load.scale, seed: load.seed ?? DEFAULT_SEED, definitionSha256 };
}
