import pg from 'pg';

/**
 * The one naming rule for the tool's connections: `rehearse/<role>` in application_name, so the
 * blocking sampler (and anyone reading pg_stat_activity) can tell who is connected. Roles the
 * sampler reads: `migration…`, `app/<app>/<query>`, `probe/<app>/<query>` (see observe/names.ts);
 * every other role (`load`, `schema`, `inspect`, …) is the tool's own housekeeping.
 */
export const APPLICATION_NAME_PREFIX = 'rehearse/';

export const applicationName = (role: string): string => APPLICATION_NAME_PREFIX + role;

/** A client of `url` named by its role, not yet connected (the caller connects and ends it). */
export const newClient = (url: string, role: string): pg.Client => new pg.Client({ connectionString: url, application_name: applicationName(role) });

/** Connect to `url` as `rehearse/<role>`, run `fn`, and always end the connection. */
export async function withClient<T>(url: string, role: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = newClient(url, role);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
