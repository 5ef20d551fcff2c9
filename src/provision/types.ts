import type { Readable } from 'node:stream';
import type { ContainerAccess } from './container/types.ts';
import type { ProviderName } from '../core/names.ts';

export type { ProviderName };

/** Settings as name → value, exactly as PostgreSQL spells them. */
export type PgSettings = Record<string, string>;

export interface ProvisionOptions {
  provider: ProviderName;
  /** embedded: the PostgreSQL major to run (default: the bundled one, 17) */
  postgresMajor?: number;
  /** --pg-setting name=value: mirror production; in force during the replay */
  settings?: PgSettings;
  /** connections the run will hold open at once (the workload's, see traffic connectionsNeeded)
   *  and what they are, for messages: a server the run starts gets max_connections for them; a url
   *  server that allows fewer is refused before anything starts */
  connections?: { total: number; text: string };
  /** url: the server to work on (its password is never printed) */
  databaseUrl?: string;
  /** url: keep the scratch database at the end */
  keep?: boolean;
  /** url: work in the database of the URL itself instead of a scratch database */
  useExistingDatabase?: boolean;
  // ---- container provider (src/provision/container/) ----
  /** container: the image, e.g. postgres:16 or rehearse-local/postgres:15 (default postgres:<postgresMajor, or 17>) */
  image?: string;
  /** container: 'host' shares the engine host's network (no port publishing); another value names a Docker network; default: a published port */
  containerNetwork?: string;
  // ---- snapshots (src/snapshot/) ----
  /** embedded: start on a copy of a saved, stopped data directory instead of initdb + an empty database */
  fromDataDir?: { fill(target: string): Promise<void>; password: string };
  /** url: create the scratch database as a copy of this template database */
  templateDatabase?: string;
  /** url: take this ready copy of the template (a spare clone, made at the end of an earlier run) by renaming it; the template is cloned when it is gone */
  spareDatabase?: string;
  /** container: start on a saved, stopped data directory (a tar whose top folder is basename(dataDir),
   *  put into the container before its server starts, so the entrypoint skips initdb) */
  fromArchive?: { open(): Promise<Readable>; dataDir: string; password: string };
}

/** A PostgreSQL database the run may change freely, and how to give it back. */
export interface Instance {
  /** connection string of the rehearsal database (holds a password: mask before printing) */
  readonly url: string;
  readonly provider: ProviderName;
  /** server_version, e.g. "17.10" */
  readonly version: string;
  readonly major: number;
  /** Switch from load-tuned settings to production-like durability (embedded: a restart). */
  prepareForReplay(): Promise<void>;
  /** A server the run started (embedded): restart it with the replay settings overridden by `settings`
   *  (null: the replay settings again). The calibration of predictions measures on the regime
   *  production is in with production's settings scaled down (docs/predictions.md). Absent: not possible. */
  restartWith?(settings: PgSettings | null): Promise<void>;
  /** Settings in force now that a rehearsal cares about (read from pg_settings). */
  settingsInForce(): Promise<PgSettings>;
  /** Stop/drop everything this instance started; safe to call twice. */
  stop(): Promise<void>;
  /** stop the server, let fn read its data directory, start it again (snapshots). embedded: a host
   *  folder; container: PGDATA inside the container (read it with container.archive) */
  whileStopped?<T>(fn: (dataDir: string, password: string) => Promise<T>): Promise<T>;
  /** container provider only: the server's container, to run its own pg_restore/psql/pg_dump */
  readonly container?: ContainerAccess;
}
