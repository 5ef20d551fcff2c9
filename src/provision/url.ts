import pg from 'pg';
import { infraError, usageError } from '../errors.ts';
import { onExitCleanup } from '../util/cleanup.ts';
import type { Logger } from '../util/log.ts';
import { maskUrl } from '../util/mask.ts';
import { serverVersion } from './embedded.ts';
import { readSettingsInForce } from './settings.ts';
import type { Instance, ProvisionOptions } from './types.ts';

/**
 * An existing server. By default the run creates a scratch database `rehearse_<timestamp>`, works
 * only there and drops it at the end; it works in the URL's own database only when the user says
 * so (--use-existing-database).
 */
export async function connectUrl(options: ProvisionOptions, log: Logger): Promise<Instance> {
  const given = options.databaseUrl;
  if (!given) throw usageError('--provider url needs --database-url postgresql://user:pass@host:port/db');
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    throw usageError(`--database-url is not a URL: ${maskUrl(given)}`, 'use postgresql://user:password@host:5432/dbname');
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw usageError(`--database-url must start with postgresql:// (got ${parsed.protocol}//)`);
  }

  const admin = new pg.Client({ connectionString: given, connectionTimeoutMillis: 10_000 });
  try {
    await admin.connect();
  } catch (err) {
    throw infraError(
      `cannot connect to ${maskUrl(given)}: ${(err as Error).message}`,
      'check that the server is running and reachable, and the user and password',
      err,
    );
  }

  if (options.useExistingDatabase) {
    await admin.end();
    log.warn(`working directly in the existing database of ${maskUrl(given)} (--use-existing-database)`);
    const version = await serverVersion(given);
    return {
      url: given,
      provider: 'url',
      version,
      major: Number(version.split('.')[0]),
      prepareForReplay: async () => {},
      settingsInForce: () => readSettingsInForce(given),
      stop: async () => {},
    };
  }

  const name = scratchDatabaseName();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
  } catch (err) {
    await admin.end();
    throw infraError(`cannot create the scratch database ${name}: ${(err as Error).message}`, 'the user needs CREATEDB', err);
  }
  await admin.end();
  log.info(`scratch database ${name} created on ${parsed.host}`);

  const scratch = new URL(given);
  scratch.pathname = '/' + name;
  const url = scratch.toString();

  // one stop, however many callers (the normal path and a signal's cleanup) wait for it
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= doStop());
  const doStop = async () => {
    unregister();
    if (options.keep) {
      log.info(`kept scratch database ${name} (--keep)`);
      return;
    }
    const c = new pg.Client({ connectionString: given });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  };
  const unregister = onExitCleanup(stop);

  const version = await serverVersion(url);
  return {
    url,
    provider: 'url',
    version,
    major: Number(version.split('.')[0]),
    prepareForReplay: async () => {},
    settingsInForce: () => readSettingsInForce(url),
    stop,
  };
}

export function scratchDatabaseName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `rehearse_${stamp}_${Math.random().toString(36).slice(2, 6)}`;
}
