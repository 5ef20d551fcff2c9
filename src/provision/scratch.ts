import pg from 'pg';
import { infraError } from '../core/errors.ts';
import { onExitCleanup } from '../core/cleanup.ts';
import { ownerComment } from '../ownership/index.ts';

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
  /** leave it in place (--keep): no drop, not even at exit */
  keep(): void;
}

/**
 * `TEMPLATE <name>` of a CREATE DATABASE that copies a database: file by file (15+: STRATEGY
 * FILE_COPY, no WAL for every page; older majors always copy files).
 */
export const templateClause = (name: string, major: number, strategy: 'FILE_COPY' | 'WAL_LOG' = 'FILE_COPY'): string =>
  `TEMPLATE ${pg.escapeIdentifier(name)}${major >= 15 ? ` STRATEGY ${strategy}` : ''}`;

/**
 * An empty database on the server of `serverUrl` (the url provider's rehearsal database, the drift
 * check's and the expected schema's), dropped by drop() — or at exit, whatever happens.
 */
export async function createScratchDatabase(
  serverUrl: string,
  name: string,
  template?: { name: string; major: number; strategy?: 'FILE_COPY' | 'WAL_LOG' },
): Promise<ScratchDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    const from = template ? templateClause(template.name, template.major, template.strategy) : 'TEMPLATE template0';
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} ${from}`);
    // the owner (pid, start time, host, run) lets a later run or `rehearse cleanup` drop it if this one dies
    await admin.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(ownerComment())}`);
  } catch (err) {
    throw infraError(`cannot create the scratch database ${name}: ${(err as Error).message}`, 'the user needs CREATEDB', err);
  } finally {
    await admin.end();
  }
  return scratchHandle(serverUrl, name);
}

/**
 * Take a ready database (a snapshot's spare clone, connections disallowed) as the scratch database:
 * renamed in one step (a concurrent claim of the same one fails here, and the caller clones
 * instead), then opened and owner-marked like a created one.
 */
export async function claimScratchDatabase(serverUrl: string, ready: string, name: string): Promise<ScratchDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    // a database with a session in it cannot be renamed (55006): connections to a spare are
    // disallowed, but a superuser's or a background worker's may still be there; wait a little
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(ready)} RENAME TO ${pg.escapeIdentifier(name)}`);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} WITH ALLOW_CONNECTIONS true`);
    await admin.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(ownerComment())}`);
  } finally {
    await admin.end();
  }
  return scratchHandle(serverUrl, name);
}

/** The url of a scratch database, and its drop (at exit too, whatever happens). */
function scratchHandle(serverUrl: string, name: string): ScratchDatabase {
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
