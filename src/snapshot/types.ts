import type { DatasetSummary } from '../load/index.ts';
import type { Instance, ProvisionOptions } from '../provision/index.ts';
import type { Logger } from '../core/log.ts';
import type { ProviderName } from '../provision/index.ts';

/** What the report records about the snapshot of this run's dataset (report.dataset.snapshot). */
export interface SnapshotUse {
  /** content key: what produced the dataset (docs/snapshots.md) */
  key: string;
  /** true: the dataset was cloned from a saved snapshot; false: loaded, then (maybe) saved */
  hit: boolean;
  /** when the snapshot was saved; null when this run loaded and saved none */
  createdAt: string | null;
  /** size of the snapshot (data directory or template database); null when none was saved */
  bytes: number | null;
  /** hit: time to clone it and have the server up on the clone; miss: 0 */
  cloneMs: number;
  /** miss: time spent saving the snapshot (not part of loadMs); hit: 0 */
  saveMs: number;
  /** time to hash the dump (or the fixture's definition) into the key */
  hashMs: number;
}

/** When a run keeps a snapshot: --cache (always), --no-cache (never, and no lookup), default auto. */
export type CacheMode = 'auto' | 'always' | 'never';

export interface CachePlan {
  mode: CacheMode;
  /** --cache-dir; default $PG_REHEARSE_CACHE/snapshots, else node_modules/.cache/pg-rehearse/snapshots */
  dir?: string;
}

/** auto keeps a snapshot only when loading took at least this long (a fast load is as quick as a clone). */
export const AUTO_MIN_LOAD_MS = 30_000;

/** What produced a dataset: the content of a key (hashed into SnapshotMeta.key). */
export type KeySource =
  | { kind: 'dump'; sha256: string; bytes: number; format: string }
  | { kind: 'fixture'; name: string; scale: number; seed: number; definitionSha256: string }
  | { kind: 'synthesize'; schemaSha256: string; statsSha256: string; fraction: number; seed: number };

export interface KeyParts {
  /** bumped when the way snapshots are made changes */
  format: 1;
  provider: ProviderName;
  pgMajor: number;
  source: KeySource;
  /** container: the image as given (its files, owner ids and locale are those of the data directory) */
  image?: string;
}

/** Saved beside a snapshot (meta.json, or the template database's comment). */
export interface SnapshotMeta {
  key: string;
  provider: ProviderName;
  pgMajor: number;
  createdAt: string;
  bytes: number;
  /** what the key was made of */
  parts: KeyParts;
  /** the summary of the load that produced it (source, tables, loadMs of that load) */
  dataset: DatasetSummary;
  toolVersion: string;
  /** container: PGDATA inside the container the data directory was taken from (data.tar holds its last name) */
  containerDataDir?: string;
}

/** A snapshot as `rehearse cache ls` shows it. */
export interface CacheEntry {
  key: string;
  provider: ProviderName;
  /** dump path / fixture name@scale; '?' when the metadata is unreadable */
  source: string;
  bytes: number;
  createdAt: string | null;
  /** last time a run cloned it (or created it) */
  usedAt: string | null;
  /** where it is: a folder, or server/database */
  location: string;
  /** an unfinished write (a run killed while saving, or one saving right now) */
  incomplete: boolean;
  /** the pid writing it, when incomplete and known */
  writerPid?: number;
}

/** How one provider saves a loaded dataset and starts a run on a clone of it. */
export interface SnapshotStore {
  /** the saved snapshot of this key, if any (complete ones only) */
  find(key: string): Promise<SnapshotMeta | null>;
  /** provision options that start the run on a clone of the snapshot */
  cloneOptions(meta: SnapshotMeta, options: ProvisionOptions): Promise<ProvisionOptions>;
  /** save the loaded dataset of `instance`; null (with the reason logged) when it did not */
  save(instance: Instance, meta: Omit<SnapshotMeta, 'bytes' | 'createdAt'>, log: Logger): Promise<SnapshotMeta | null>;
  /** mark a snapshot used now (prune --older-than goes by last use) */
  touch(key: string): Promise<void>;
  /** after a run that used the snapshot, its report written: make the next run's start cheaper (url: a spare clone) */
  prepareNext?(key: string, log: Logger): Promise<void>;
}
