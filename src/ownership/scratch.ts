import pg from 'pg';
import { currentOwner, ownerLiveness, parseOwner, type Liveness, type Owner } from './owner.ts';

/**
 * Scratch databases (the url provider's rehearsal database, drift and expected-schema checks) are
 * named rehearse_… and carry their owner in COMMENT ON DATABASE. Only databases with both are
 * ever considered; of those, only a dead owner's on this machine is dropped.
 */
const PREFIX = 'pg-rehearse owner ';

export function ownerComment(owner: Owner = currentOwner()): string {
  return PREFIX + JSON.stringify(owner);
}

export interface ScratchLeftover {
  database: string;
  owner: Owner;
  liveness: Liveness;
}

export async function listScratchDatabases(serverUrl: string): Promise<ScratchLeftover[]> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000, application_name: 'rehearse/sweep' });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string; comment: string }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database
        WHERE datname LIKE 'rehearse\\_%' AND shobj_description(oid, 'pg_database') LIKE $1`,
      [PREFIX + '%'],
    );
    return rows.flatMap((r) => {
      let owner: Owner | null = null;
      try {
        owner = parseOwner(JSON.parse(r.comment.slice(PREFIX.length)));
      } catch {
        owner = null;
      }
      return owner ? [{ database: r.datname, owner, liveness: ownerLiveness(owner) }] : [];
    });
  } finally {
    await client.end();
  }
}

export async function dropScratchDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000, application_name: 'rehearse/sweep' });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
