import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { templateClause, type Instance, type ProvisionOptions } from '../provision/index.ts';
import { onExitCleanup } from '../core/cleanup.ts';
import type { Logger } from '../core/log.ts';
import { maskUrl } from '../core/mask.ts';
import type { CacheEntry, SnapshotMeta, SnapshotStore } from './types.ts';

/**
 * The url provider's snapshots: a template database `rehearse_snap_<key>` on the server itself,
 * its SnapshotMeta in the database's comment, connections to it disallowed (nothing changes it).
 * A run clones it with CREATE DATABASE … TEMPLATE … (STRATEGY FILE_COPY on 15+). It is written as
 * `rehearse_snaptmp_<key>_<random>` and renamed when complete, under a session advisory lock (the
 * server releases it when the writer dies); a run killed while writing leaves a snaptmp database
 * that no run uses and `rehearse cache prune --database-url` drops.
 */
export const TEMPLATE_PREFIX = 'rehearse_snap_';
export const TEMPLATE_TMP_PREFIX = 'rehearse_snaptmp_';
/**
 * A spare: a ready clone of a template (`rehearse_snapspare_<key>_<random>`, connections
 * disallowed), made after a run that used the snapshot, once its report is written. The next run
 * takes it by renaming it (instant) instead of copying the template (FILE_COPY: a checkpoint and
 * every file copied and fsynced, ~12 s for 3 GB here), then makes the next one after its report.
 * CREATE DATABASE is atomic: a spare exists complete or not at all.
 */
export const SPARE_PREFIX = 'rehearse_snapspare_';

export const templateName = (key: string) => `${TEMPLATE_PREFIX}${key}`;

async function withAdmin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000, application_name: 'rehearse/snapshot' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The advisory lock of one key, the same number in every run. */
const lockId = (key: string) =>
  BigInt.asIntN(
    64,
    BigInt(
      '0x' +
        crypto
          .createHash('sha256')
          .update('rehearse_snap:' + key)
          .digest('hex')
          .slice(0, 16),
    ),
  ).toString();

export function templateStore(serverUrl: string): SnapshotStore {
  return {
    async find(key) {
      const rows = await listTemplates(serverUrl, templateName(key));
      const meta = rows[0]?.meta;
      return meta && meta.key === key ? meta : null;
    },

    async cloneOptions(meta, options): Promise<ProvisionOptions> {
      const spare = await withAdmin(serverUrl, (c) => spareOf(c, meta.key));
      return { ...options, templateDatabase: templateName(meta.key), ...(spare ? { spareDatabase: spare } : {}) };
    },

    async prepareNext(key, log) {
      const started = performance.now();
      const made = await withAdmin(serverUrl, async (c) => {
        const template = await this.find(key);
        if (!template) return null;
        if (await spareOf(c, key)) return null;
        const name = `${SPARE_PREFIX}${key}_${crypto.randomBytes(3).toString('hex')}`;
        await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} ${templateClause(templateName(key), await majorOn(c))}`);
        await c.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} WITH ALLOW_CONNECTIONS false`);
        const meta = { ...template, spare: true, createdAt: new Date().toISOString() };
        await c.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(JSON.stringify(meta))}`);
        return name;
      });
      if (made) log.info(`ready clone ${made} made for the next run in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    },

    async save(instance: Instance, partial, log: Logger) {
      const source = decodeURIComponent(new URL(instance.url).pathname.slice(1));
      return withAdmin(serverUrl, async (c) => {
        const got = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [lockId(partial.key)]);
        if (!got.rows[0]!.ok) {
          log.info(`snapshot ${partial.key} is being saved by another run on ${maskUrl(serverUrl)}; this run saves none`);
          return null;
        }
        const existing = await this.find(partial.key);
        if (existing) return existing;
        const tmp = `${TEMPLATE_TMP_PREFIX}${partial.key}_${crypto.randomBytes(3).toString('hex')}`;
        const drop = () => withAdmin(serverUrl, (d) => d.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(tmp)}`)).then(() => undefined);
        const unregister = onExitCleanup(drop);
        let renamed = false;
        try {
          await c.query(`CREATE DATABASE ${pg.escapeIdentifier(tmp)} ${templateClause(source, await majorOn(c))}`);
          const bytes = Number((await c.query<{ n: string }>('SELECT pg_database_size($1) AS n', [tmp])).rows[0]!.n);
          const meta: SnapshotMeta = { ...partial, bytes, createdAt: new Date().toISOString() };
          await c.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(tmp)} IS ${pg.escapeLiteral(JSON.stringify(meta))}`);
          await c.query(`ALTER DATABASE ${pg.escapeIdentifier(tmp)} WITH ALLOW_CONNECTIONS false`);
          await c.query(`ALTER DATABASE ${pg.escapeIdentifier(tmp)} RENAME TO ${pg.escapeIdentifier(templateName(partial.key))}`);
          renamed = true;
          return meta;
        } finally {
          unregister();
          if (!renamed) await drop().catch(() => undefined);
          await c.query('SELECT pg_advisory_unlock($1::bigint)', [lockId(partial.key)]).catch(() => undefined);
        }
      });
    },

    async touch(key) {
      // the comment's usedAt: prune --older-than goes by last use
      await withAdmin(serverUrl, async (c) => {
        const rows = await listTemplates(serverUrl, templateName(key));
        const meta = rows[0]?.meta;
        if (!meta) return;
        const used = { ...meta, usedAt: new Date().toISOString() };
        await c.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(templateName(key))} IS ${pg.escapeLiteral(JSON.stringify(used))}`);
      }).catch(() => undefined);
    },
  };
}

interface TemplateRow {
  name: string;
  bytes: number;
  meta: (SnapshotMeta & { usedAt?: string }) | null;
}

async function listTemplates(serverUrl: string, exactName?: string): Promise<TemplateRow[]> {
  return withAdmin(serverUrl, async (c) => {
    const r = await c.query<{ datname: string; bytes: string; comment: string | null }>(
      `SELECT d.datname, pg_database_size(d.oid)::text AS bytes, shobj_description(d.oid, 'pg_database') AS comment
         FROM pg_database d
        WHERE ${exactName ? 'd.datname = $1' : "d.datname LIKE 'rehearse\\_snap%'"}
        ORDER BY d.datname`,
      exactName ? [exactName] : [],
    );
    return r.rows.map((row) => ({ name: row.datname, bytes: Number(row.bytes), meta: parseMeta(row.comment) }));
  });
}

function parseMeta(comment: string | null): TemplateRow['meta'] {
  if (!comment) return null;
  try {
    return JSON.parse(comment) as TemplateRow['meta'];
  } catch {
    return null;
  }
}

/** Every snapshot database on the server, complete or not. */
export async function listTemplateEntries(serverUrl: string, describe: (m: SnapshotMeta) => string): Promise<CacheEntry[]> {
  const host = new URL(serverUrl).host;
  return (await listTemplates(serverUrl)).map((t) => {
    const incomplete = t.name.startsWith(TEMPLATE_TMP_PREFIX);
    const spare = t.name.startsWith(SPARE_PREFIX);
    const key = incomplete
      ? t.name.slice(TEMPLATE_TMP_PREFIX.length).split('_')[0]!
      : spare
        ? t.name.slice(SPARE_PREFIX.length).split('_')[0]!
        : t.name.slice(TEMPLATE_PREFIX.length);
    return {
      key,
      provider: 'url' as const,
      source: t.meta ? `${describe(t.meta)}${spare ? ' — ready clone for the next run' : ''}` : incomplete ? '(being written, or left by a killed run)' : '?',
      bytes: t.bytes,
      createdAt: t.meta?.createdAt ?? null,
      usedAt: t.meta?.usedAt ?? t.meta?.createdAt ?? null,
      location: `${host}/${t.name}`,
      incomplete,
    };
  });
}

/** Drop one snapshot database (an unfinished one only when no run holds its key's lock). */
export async function dropTemplate(serverUrl: string, entry: CacheEntry): Promise<boolean> {
  const name = entry.location.slice(entry.location.lastIndexOf('/') + 1);
  return withAdmin(serverUrl, async (c) => {
    if (entry.incomplete) {
      const free = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [lockId(entry.key)])).rows[0]!.ok;
      if (!free) return false;
    }
    try {
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      return true;
    } finally {
      if (entry.incomplete) await c.query('SELECT pg_advisory_unlock($1::bigint)', [lockId(entry.key)]);
    }
  });
}

/** A ready clone of the key's template, if there is one. */
const spareOf = async (c: pg.Client, key: string): Promise<string | undefined> =>
  (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname LIMIT 1', [`${SPARE_PREFIX}${key}\\_%`])).rows[0]
    ?.datname;

// (SHOW names its column after the setting: `AS v` needs current_setting)
const majorOn = async (c: pg.Client): Promise<number> =>
  Math.floor(Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v) / 10000);

/** The major of the server behind a URL (null when it cannot be reached: provisioning says why). */
export async function serverMajor(serverUrl: string): Promise<number | null> {
  try {
    return await withAdmin(serverUrl, majorOn);
  } catch {
    return null;
  }
}
