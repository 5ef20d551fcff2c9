import pg from 'pg';
import type { Migration } from '../../migrations/index.ts';
import { createScratchDatabase, scratchDatabaseName } from '../../provision/index.ts';
import { replay, type MigrationTrace, type TimeoutPolicy } from '../../replay/index.ts';
import { withClient } from '../../core/client.ts';
import type { Logger } from '../../core/log.ts';
import { REGIME_SETTINGS, type RegimeSettings } from './settings.ts';
import { scaledSettings, withPacing, type ScaledRun } from './scale.ts';

/**
 * Calibration: the data-dependent statements measured again at smaller sizes. Before the replay
 * the rehearsal database is cloned (CREATE DATABASE … TEMPLATE, the pre-migration state); after
 * it, for each fraction, a clone of that clone keeps a random sample of the touched tables (the
 * rest deleted, then VACUUM FULL so the table is as compact as a fresh load) and the same pending
 * migrations are replayed there. Every database made here is dropped, whatever happens.
 */
export interface CalibrationRun {
  fraction: number;
  /** rows per touched table after sampling (count(*)), by tableKey */
  rows: Map<string, number>;
  migrations: MigrationTrace[];
  /** the calibration replay stopped at a failing statement (points after it are missing) */
  failed: boolean;
  /** the regime settings it ran on (REGIME_SETTINGS as current_setting prints them, and paced checkpoints), when scaled */
  settings?: Record<string, string>;
  /** the scaled settings in words (absent: the rehearsal server's settings) */
  scaled?: string;
}

/** Production's size-bound settings to scale for each sample (scale.ts). */
export interface CalibrationScale {
  /** production's regime settings (the statistics file's, else the rehearsal server's) */
  production: RegimeSettings;
  /** production's bytes over the rehearsal's, of the largest driving table: a sample of fraction f is f / ratio of production */
  ratio: number;
}

export interface Calibration {
  /** replay `migrations` on samples of `tables` at each fraction (the first fraction twice: noise) */
  run(options: {
    migrations: Migration[];
    tables: string[];
    fractions: number[];
    timeouts?: TimeoutPolicy;
    scale?: CalibrationScale;
  }): Promise<CalibrationRun[]>;
  /** the server can be restarted with other settings (the tool's own): calibration across regimes is possible */
  canScale: boolean;
  drop(): Promise<void>;
  /** the server's settings that decide a statement's regime (REGIME_SETTINGS), read when the clone was made */
  settings: Record<string, string>;
}

const SEED = 0.42;

/**
 * Clone the rehearsal database now (before the replay changes it). `restartWith`: the tool's own
 * server restarted with other settings (null: back to the replay's), for calibrating across regimes;
 * never given for someone else's server (--database-url).
 */
export async function startCalibration(
  url: string,
  log: Logger,
  restartWith?: (settings: Record<string, string> | null) => Promise<void>,
  /** the tables the predictions are for (the statistics file's, schema-qualified): read once before the replay */
  warm: string[] = [],
): Promise<Calibration> {
  // a server the tool just started has written little WAL: each new WAL segment is made (16 MB
  // zero-filled, fsynced) by the statement that reaches it, where a production server reuses
  // segments its checkpoints recycled. Made now, on the tool's own server only (never on someone
  // else's: its archive and replicas would see it), so the rehearsal's statements do not pay for them
  if (restartWith) await withClient(url, 'calibration', prepareWalSegments).catch(() => undefined);
  const base = await cloneDatabase(url, 'calib');
  // the copy's pages are dirty in shared_buffers (and, WAL_LOG, in the WAL): written out now, so the
  // rehearsal's first statements do not pay for them (a point slower than the samples steepens every fit)
  await withClient(url, 'calibration', (c) => c.query('CHECKPOINT')).catch(() => undefined);
  // each sample is read just before its replay (sampled, vacuumed, counted): its pages and the
  // catalogs' are in the server's buffers. The rehearsal's tables were not (the server restarted
  // for the replay settings, the clone read them through a small ring): its first statement on a
  // table read it all from the OS first — 1.2–1.5× the time of the same statement on the
  // whole-table sample in the benchmark. Read once now, alike (a table over a quarter of
  // shared_buffers is read through the ring either way)
  await withClient(url, 'calibration', async (c) => {
    for (const t of warm) await c.query(`SELECT count(*) FROM ${quoteTable(t)}`).catch(() => undefined);
  }).catch(() => undefined);
  const settings = await readRegimeSettings(url).catch(() => ({}));
  return {
    settings,
    canScale: restartWith !== undefined,
    async run({ migrations, tables, fractions, timeouts, scale }) {
      // on the rehearsal server's settings: the first fraction twice (the noise of repeated
      // measurement), and the whole table, prepared as the samples are (the rehearsal's own size
      // measured again: the noise where the fit weighs most)
      const settingsOf: (ScaledRun | null)[] = [];
      const plan = fractions.length ? [fractions[0]!, ...fractions, ...(fractions.includes(1) ? [] : [1])] : [];
      plan.forEach(() => settingsOf.push(null));
      // then, on the tool's own server, production's settings scaled to each sample (scale.ts): the
      // largest fraction and the whole rehearsal table, each twice, alternating (a passing slowdown
      // hits both sizes alike) — the longest measurements past the boundaries, where a sample's
      // fixed costs and noise weigh least
      const restart = restartWith && scale && scale.ratio > 1 ? restartWith : undefined;
      if (restart && fractions.length) {
        const largest = Math.max(...fractions);
        const scaledPlan = largest < 1 ? [largest, 1, largest, 1] : [1, 1];
        for (const f of scaledPlan) {
          const s = scaledSettings(scale!.production, f / scale!.ratio);
          if (!s) break;
          plan.push(f);
          settingsOf.push(s);
        }
      }
      const runs: CalibrationRun[] = [];
      let restartedTo: string | null = null;
      try {
        for (let i = 0; i < plan.length; i++) {
          const fraction = plan[i]!;
          const scaled = settingsOf[i]!;
          // restarted before the sample is made, so its making warms the catalogs as the rehearsal's load did
          const want = scaled ? JSON.stringify(scaled.server) : null;
          if (restart && want !== restartedTo) {
            await restart(scaled ? scaled.server : null);
            restartedTo = want;
          }
          const db = await cloneDatabase(base.url, 'calib');
          try {
            const step = log.progress(
              `calibration ${i + 1}/${plan.length}: ${Math.round(fraction * 1000) / 10} % of ${tables.join(', ')}${scaled ? ` on production's settings scaled (${scaled.text})` : ''}`,
            );
            const rows = await sample(db.url, tables, fraction, SEED + i / 100);
            const pacer = scaled?.checkpointEvery ? paceCheckpoints(db.url, scaled.checkpointEvery) : null;
            const result = await replay({ url: db.url, migrations, ...(timeouts ? { timeouts } : {}), log: quiet(log) }).finally(() => pacer?.stop());
            step.done();
            runs.push({
              fraction,
              rows,
              migrations: result.migrations,
              failed: !result.ok,
              ...(scaled ? { settings: withPacing(await readRegimeSettings(db.url), scaled), scaled: scaled.text } : {}),
            });
          } finally {
            await db.drop();
          }
        }
      } finally {
        if (restartedTo !== null) await restart!(null);
      }
      return runs;
    },
    drop: () => base.drop(),
  };
}

/**
 * min_wal_size's worth of WAL segments switched through, then a checkpoint, which recycles them as
 * the next segments (a server's steady state): about min_wal_size of writing (80 MB by default).
 */
async function prepareWalSegments(c: pg.Client): Promise<void> {
  const { rows } = await c.query<{ n: string }>(
    "SELECT ceil(pg_size_bytes(current_setting('min_wal_size')) / pg_size_bytes(current_setting('wal_segment_size'))) AS n",
  );
  const n = Math.min(Number(rows[0]!.n) || 0, 64);
  for (let i = 0; i < n; i++) {
    // a record in the segment (an xid's commit), so the switch is not a no-op
    await c.query('SELECT txid_current()');
    await c.query('SELECT pg_switch_wal()');
  }
  await c.query('CHECKPOINT');
}

/** The settings of the server of `url` that decide regimes, as current_setting prints them. */
export async function readRegimeSettings(url: string): Promise<Record<string, string>> {
  return withClient(url, 'calibration', async (c) => {
    const { rows } = await c.query<{ name: string; setting: string }>(
      'SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1::text[])',
      [[...REGIME_SETTINGS]],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  });
}

interface Clone {
  url: string;
  drop(): Promise<void>;
}

/**
 * A copy of the database of `url` on the same server (no one may be connected to it meanwhile): a
 * scratch database like the url provider's, owner-marked, so a run killed meanwhile leaves it to the
 * next sweep.
 */
export async function cloneDatabase(url: string, purpose: string): Promise<Clone> {
  const source = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = await maintenanceUrl(url);
  const { v, size } = await withClient(admin, 'calibration', async (c) => {
    const { rows } = await c.query<{ v: string; size: string }>("SELECT current_setting('server_version_num') AS v, pg_database_size($1) AS size", [source]);
    return rows[0]!;
  });
  // a large database: FILE_COPY copies the files (after one checkpoint) where WAL_LOG, 15+'s
  // default, would write all of it to WAL; a small one: WAL_LOG spares the checkpoint
  const strategy = Number(size) > 256 * 1024 * 1024 ? 'FILE_COPY' : 'WAL_LOG';
  const scratch = await createScratchDatabase(admin, scratchDatabaseName(purpose), { name: source, major: Math.floor(Number(v) / 10000), strategy });
  return { url: scratch.url, drop: scratch.drop };
}

/** The server's maintenance database (not the one being cloned): postgres, else template1. */
async function maintenanceUrl(url: string): Promise<string> {
  for (const db of ['postgres', 'template1']) {
    const u = new URL(url);
    u.pathname = '/' + db;
    try {
      await withClient(u.toString(), 'calibration', async () => undefined);
      return u.toString();
    } catch (err) {
      if (db === 'template1') throw err;
    }
  }
  throw new Error('unreachable');
}

/** Keep a random `fraction` of each table's rows; returns the rows kept. */
async function sample(url: string, tables: string[], fraction: number, seed: number): Promise<Map<string, number>> {
  const c = new pg.Client({ connectionString: url, application_name: 'rehearse/calibration' });
  await c.connect();
  const rows = new Map<string, number>();
  try {
    // no foreign-key actions or triggers while rows go: the other tables stay as they were
    await c.query('SET session_replication_role = replica').catch(() => undefined);
    await c.query('SELECT setseed($1)', [seed]);
    for (const t of tables) {
      const rel = quoteTable(t);
      await c.query(`DELETE FROM ${rel} WHERE random() >= $1`, [fraction]);
      await c.query(`VACUUM FULL ${rel}`);
      await c.query(`VACUUM ANALYZE ${rel}`);
      rows.set(t, Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${rel}`)).rows[0]!.n));
    }
    await c.query('CHECKPOINT').catch(() => undefined);
  } finally {
    await c.end();
  }
  return rows;
}

/** `public.orders` → "public"."orders" */
export const quoteTable = (key: string): string => {
  const dot = key.indexOf('.');
  return `${pg.escapeIdentifier(key.slice(0, dot))}.${pg.escapeIdentifier(key.slice(dot + 1))}`;
};

const quiet = (log: Logger): Logger => ({ info: () => undefined, warn: log.warn, progress: () => ({ update: () => undefined, done: () => undefined }) });

/**
 * Checkpoints at production's distance scaled to a sample (below max_wal_size's floor): a CHECKPOINT
 * each time `every` bytes of WAL have been written since the last one, from a connection of its own,
 * while the calibration replay runs. stop() resolves with the checkpoints issued.
 */
export function paceCheckpoints(url: string, every: number): { stop(): Promise<number> } {
  let stopped = false;
  let issued = 0;
  const done = (async () => {
    const c = new pg.Client({ connectionString: url, application_name: 'rehearse/calibration-checkpoints' });
    await c.connect();
    try {
      const lsn = async () => Number((await c.query<{ b: number }>("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::float8 AS b")).rows[0]!.b);
      let last = await lsn();
      while (!stopped) {
        const now = await lsn();
        if (now - last >= every) {
          await c.query('CHECKPOINT');
          issued++;
          last = now;
        } else await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done.catch(() => undefined);
      return issued;
    },
  };
}
