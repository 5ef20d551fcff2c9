import pg from 'pg';
import { describeError, infraError } from './errors.ts';

/**
 * The one naming rule for the tool's connections: `rehearse/<role>` in application_name, so the
 * blocking sampler (and anyone reading pg_stat_activity) can tell who is connected. Roles the
 * sampler reads: `migration…`, `app/<app>/<query>`, `probe/<app>/<query>` (see observe/names.ts);
 * every other role (`load`, `schema`, `inspect`, …) is the tool's own housekeeping.
 */
export const APPLICATION_NAME_PREFIX = 'rehearse/';

export const applicationName = (role: string): string => APPLICATION_NAME_PREFIX + role;

/** A client of `url` named by its role, not yet connected (the caller connects and ends it). */
export const newClient = (url: string, role: string, config: Omit<pg.ClientConfig, 'connectionString' | 'application_name'> = {}): pg.Client =>
  new pg.Client({ ...config, connectionString: url, application_name: applicationName(role) });

/**
 * A connected client of `url` as `rehearse/<role>`; a failure to connect is an infrastructure error
 * saying what the connection was for (`to read the schema`) and what to check.
 */
export async function connectFor(
  url: string,
  role: string,
  purpose: string,
  hint: string,
  config: Omit<pg.ClientConfig, 'connectionString' | 'application_name'> = {},
): Promise<pg.Client> {
  const client = newClient(url, role, config);
  try {
    await client.connect();
  } catch (err) {
    throw infraError(`could not connect ${purpose}: ${describeError(err)}`, hint, err);
  }
  return client;
}

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
