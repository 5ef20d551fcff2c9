import type { BackendKind } from './types.ts';

/**
 * Every backend the tool opens says who it is in its application_name, so the sampler can tell a
 * migration statement from an app query from anything else:
 *
 *   rehearse/migration…            the migration connection (by prefix)
 *   rehearse/app/<app>/<query>     a simulated app running <query> (set before each query)
 *   rehearse/app/<app>             an app connection not yet tagged with a query
 *   rehearse/probe/<app>/<query>   a compatibility probe
 *
 * App and query names are [A-Za-z0-9_.-] so the slashes are unambiguous, and short enough that the
 * whole fits PostgreSQL's 63 bytes (NAMEDATALEN - 1; longer names are silently cut).
 */
export const MIGRATION_PREFIX = 'rehearse/migration';
export const APP_PREFIX = 'rehearse/app/';
export const PROBE_PREFIX = 'rehearse/probe/';
export const SAMPLER_NAME = 'rehearse/sampler';
export const MAX_APPLICATION_NAME = 63;

export const appTag = (app: string, query?: string) => APP_PREFIX + app + (query ? '/' + query : '');
export const probeTag = (app: string, query?: string) => PROBE_PREFIX + app + (query ? '/' + query : '');

export interface ParsedName {
  kind: BackendKind;
  app: string | null;
  query: string | null;
}

export function parseApplicationName(name: string): ParsedName {
  if (name.startsWith(MIGRATION_PREFIX)) return { kind: 'migration', app: null, query: null };
  for (const [prefix, kind] of [
    [APP_PREFIX, 'app'],
    [PROBE_PREFIX, 'probe'],
  ] as const) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const slash = rest.indexOf('/');
    return slash < 0 ? { kind, app: rest, query: null } : { kind, app: rest.slice(0, slash), query: rest.slice(slash + 1) };
  }
  return { kind: 'other', app: null, query: null };
}
