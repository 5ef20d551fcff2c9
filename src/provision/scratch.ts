import pg from 'pg';
import { infraError } from '../core/errors.ts';
import { onExitCleanup } from '../core/cleanup.ts';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
  /** leave it in place (--keep): no drop, not even at exit */
  keep(): void;
}

/**
 * An empty database on the server of `serverUrl` (the url provider's rehearsal database, the drift
 * check's and the expected schema's), dropped by drop() — or at exit, whatever happens.
 */
export async function createScratchDatabase(serverUrl: string, name: string): Promise<ScratchDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
  } catch (err) {
    throw infraError(`cannot create the scratch database ${name}: ${(err as Error).message}`, 'the user needs CREATEDB', err);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = '/' + name;
  let dropping: Promise<void> | undefined;
  const drop = () =>
    (dropping ??= (async () => {
      unregister();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    })());
  const unregister = onExitCleanup(drop);
  return { url: url.toString(), drop, keep: () => void unregister() };
}

/** rehearse_<purpose>_<yyyymmddhhmmss>_<random>: sorts by time, says what it was for. */
export function scratchDatabaseName(purpose: string | null, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `rehearse_${purpose ? `${purpose}_` : ''}${stamp}_${Math.random().toString(36).slice(2, 6)}`;
}
