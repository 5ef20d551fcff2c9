import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { ContainerAccess, Instance, ProvisionOptions } from '../provision/index.ts';
import { DEFAULT_CONTAINER_MAJOR } from '../core/names.ts';
import type { Logger } from '../core/log.ts';
import { writeAside } from './aside.ts';
import { findInFolder, readSnapshotPassword } from './datadir.ts';
import { roomFor } from './disk.ts';
import type { SnapshotStore } from './types.ts';

/**
 * The container provider's snapshots, in the same cache folder as the embedded ones:
 *   <cache>/<key>/data.tar    the stopped, checkpointed data directory (PGDATA) taken out of the
 *                             container as a tar (owners and modes kept), its top folder PGDATA's last name
 *   <cache>/<key>/meta.json   SnapshotMeta (containerDataDir: PGDATA in the container)
 *   <cache>/<key>/password    the postgres role's password (0600; the clone keeps the cluster's)
 * A clone is a new container with the tar put into PGDATA's parent before its server starts, so the
 * entrypoint finds PG_VERSION and skips initdb. An image is not used: the official image declares
 * PGDATA a volume, which `docker commit` leaves out.
 */
export const ARCHIVE_FILE = 'data.tar';

export function archiveStore(root: string): SnapshotStore {
  const folder = (key: string) => path.join(root, key);
  return {
    find: (key) => findInFolder(folder(key), (meta) => Boolean(meta.containerDataDir) && meta.provider === 'container', ARCHIVE_FILE),

    async cloneOptions(meta, options): Promise<ProvisionOptions> {
      const dir = folder(meta.key);
      const password = await readSnapshotPassword(dir);
      return {
        ...options,
        fromArchive: { password, dataDir: meta.containerDataDir!, open: async () => createReadStream(path.join(dir, ARCHIVE_FILE)) },
      };
    },

    async save(instance: Instance, partial, log: Logger) {
      const box = instance.container;
      const whileStopped = instance.whileStopped?.bind(instance);
      if (!box || !whileStopped) return null;
      return writeAside(
        root,
        partial.key,
        log,
        () => this.find(partial.key),
        async (tmp) => {
          // measured while the server runs (the container cannot run du once it is stopped)
          const need = await dataDirBytes(box, instance.url);
          const problem = await roomFor(root, need);
          if (problem) {
            log.warn(`snapshot not saved: ${problem}`);
            return null;
          }
          return whileStopped(async (dataDir, password) => {
            const tar = path.join(tmp, ARCHIVE_FILE);
            await pipeline(await box.archive(dataDir), createWriteStream(tar));
            await fs.writeFile(path.join(tmp, 'password'), password, { mode: 0o600 });
            const bytes = (await fs.stat(tar)).size;
            return { ...partial, pgMajor: instance.major, containerDataDir: dataDir, bytes, createdAt: new Date().toISOString() };
          });
        },
      );
    },

    async touch(key) {
      const now = new Date();
      await fs.utimes(path.join(folder(key), 'meta.json'), now, now).catch(() => undefined);
    },
  };
}

/** The size of the container's data directory (du), else of its databases plus 64 MB of WAL and the rest. */
async function dataDirBytes(box: ContainerAccess, url: string): Promise<number> {
  const du = await box.exec(['sh', '-c', 'du -sk "$PGDATA"']).catch(() => null);
  const kb = du?.exitCode === 0 ? Number.parseInt(du.stdout, 10) : Number.NaN;
  if (Number.isFinite(kb)) return kb * 1024;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('SELECT sum(pg_database_size(oid))::text AS n FROM pg_database');
    return Number(r.rows[0]!.n) + 64 * 1024 ** 2;
  } finally {
    await c.end();
  }
}

/**
 * The image a container run uses (as the provider picks it) and its major: --postgres, else the
 * first number of the image's tag (postgres:16, postgis/postgis:16-3.4), else the default major.
 */
export function containerImage(options: ProvisionOptions): { image: string; major: number } {
  const image = options.image ?? `postgres:${options.postgresMajor ?? DEFAULT_CONTAINER_MAJOR}`;
  const tag = /:(\d+)[^/]*$/.exec(image);
  return { image, major: options.postgresMajor ?? (tag ? Number(tag[1]) : DEFAULT_CONTAINER_MAJOR) };
}
