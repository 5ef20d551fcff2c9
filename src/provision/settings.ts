import type pg from 'pg';
import { withClient } from '../core/client.ts';
import { usageError } from '../core/errors.ts';
import type { PgSettings, ProvisionOptions } from './types.ts';

/**
 * A throwaway server loads fastest with durability off; the replay then runs with production-like
 * durability so its timings are the ones production will see.
 */
export const LOAD_SETTINGS: PgSettings = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  max_wal_size: '16GB',
  checkpoint_timeout: '1h',
  maintenance_work_mem: '1GB',
  autovacuum: 'off',
  // pg_restore -j <cores> already keeps every core busy: index builds with parallel workers on top
  // only oversubscribe them (the replay's settings leave PostgreSQL's default)
  max_parallel_maintenance_workers: '0',
};

export const REPLAY_SETTINGS: PgSettings = {
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
  wal_level: 'replica',
  max_wal_senders: '10',
  autovacuum: 'on',
};

/** Settings that shape how a migration behaves; always listed in the report. */
export const REPORTED_SETTINGS = [
  'server_version',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'wal_level',
  'autovacuum',
  'shared_buffers',
  'work_mem',
  'maintenance_work_mem',
  'max_wal_size',
  'checkpoint_timeout',
  'max_parallel_maintenance_workers',
  'lock_timeout',
  'statement_timeout',
  'default_transaction_isolation',
];

/** Differ on every run and say nothing about behaviour. */
const PER_RUN = new Set(['port', 'unix_socket_directories', 'listen_addresses']);

/** Parse `name=value` flags; a name PostgreSQL does not know fails at server start, not here. */
export function parseSettingFlags(flags: string[]): PgSettings {
  const out: PgSettings = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq > 0 ? flag.slice(0, eq).trim() : '';
    if (!/^[a-z_][a-z0-9_.]*$/i.test(name)) {
      throw new Error(`--pg-setting "${flag}" is not name=value (e.g. --pg-setting work_mem=64MB)`);
    }
    out[name] = flag.slice(eq + 1).trim();
  }
  return out;
}

/**
 * `settings` with `library` added to shared_preload_libraries (after those already given, as
 * --pg-setting shared_preload_libraries=… names them): for a server the run starts, e.g.
 * pg_stat_statements for `rehearse capture`.
 */
export function withPreloadedLibrary(settings: PgSettings | undefined, library: string): PgSettings {
  const given = (settings?.shared_preload_libraries ?? '')
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  const libraries = given.some((l) => l.replace(/^"|"$/g, '') === library) ? given : [...given, library];
  return { ...settings, shared_preload_libraries: libraries.join(',') };
}

export function toPostgresFlags(settings: PgSettings): string[] {
  return Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
}

/** The reported settings plus every one not at its default, from the server itself. */
export async function readSettingsInForce(url: string, extra: string[] = []): Promise<PgSettings> {
  return withClient(url, 'settings', async (client) => {
    const names = [...new Set([...REPORTED_SETTINGS, ...extra])];
    const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, current_setting(name) AS setting, unit FROM pg_settings
        WHERE name = ANY($1) OR source NOT IN ('default', 'override', 'client', 'session')
        ORDER BY name`,
      [names],
    );
    const out: PgSettings = {};
    for (const r of rows) if (!PER_RUN.has(r.name)) out[r.name] = r.setting;
    return out;
  });
}

/** The server's version (server_version without its build note, e.g. "17.10") and major, as an Instance reports them. */
export async function serverRelease(url: string): Promise<{ version: string; major: number }> {
  return withClient(url, 'settings', async (client) => {
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const version = rows[0]!.v.split(' ')[0]!;
    return { version, major: Number(version.split('.')[0]) };
  });
}

/** max_connections of a server the run starts when the workload does not need more. */
export const DEFAULT_MAX_CONNECTIONS = 200;

/**
 * max_connections for a server the run starts: the default, or the workload's need plus a tenth
 * and the superuser's reserved slots. A --pg-setting max_connections below the need is refused.
 */
export function maxConnections(options: ProvisionOptions): string {
  const need = options.connections;
  const given = options.settings?.max_connections;
  if (given !== undefined) {
    if (need && Number(given) < need.total) {
      throw usageError(
        `the workload needs ${need.text}, more than --pg-setting max_connections=${given} allows`,
        `raise max_connections to at least ${need.total}, or lower the apps' clients`,
      );
    }
    return given;
  }
  return String(Math.max(DEFAULT_MAX_CONNECTIONS, need ? Math.ceil(need.total * 1.1) + 3 : 0));
}

/**
 * Refuse a server that cannot take the run's connections: its max_connections less the reserved
 * slots and the connections already open (the caller's own one excepted) must fit them.
 */
export async function checkRoomForConnections(client: pg.ClientBase, need: ProvisionOptions['connections'], where: string): Promise<void> {
  if (!need) return;
  const { rows } = await client.query<{ max: number; reserved: number; used: number }>(
    `SELECT current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0) AS reserved,
            (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') - 1 AS used`,
  );
  const { max, reserved, used } = rows[0]!;
  const room = max - reserved - used;
  if (need.total > room) {
    throw usageError(
      `the workload needs ${need.text}, but ${where} allows ${room} (max_connections ${max}, ${reserved} reserved, ${used} in use)`,
      "lower the apps' clients in the workload, or raise max_connections on that server",
    );
  }
}
