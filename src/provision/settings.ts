import { withClient } from '../core/client.ts';
import type { PgSettings } from './types.ts';

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

/** server_version of the server behind a URL, e.g. "17.10". */
export async function serverVersion(url: string): Promise<string> {
  return withClient(url, 'settings', async (client) => {
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    return rows[0]!.v.split(' ')[0]!;
  });
}
