import pg from 'pg';
import { infraError } from '../errors.ts';
import { onExitCleanup } from '../util/cleanup.ts';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** An empty database beside the rehearsal database, on the same server, dropped by drop(). */
export async function createScratchDatabase(serverUrl: string, purpose: string): Promise<ScratchDatabase> {
  const name = `rehearse_${purpose}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
  } catch (err) {
    throw infraError(`cannot create a scratch database for ${purpose}: ${(err as Error).message}`, 'the user needs CREATEDB', err);
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
  return { url: url.toString(), drop };
}
