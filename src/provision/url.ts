import pg from 'pg';
import { infraError, usageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { maskUrl } from '../core/mask.ts';
import { claimScratchDatabase, createScratchDatabase, scratchDatabaseName } from './scratch.ts';
import { checkRoomForConnections, readSettingsInForce, serverRelease } from './settings.ts';
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

  try {
    await checkRoomForConnections(admin, options.connections, `the server at ${parsed.host}`);
  } catch (err) {
    await admin.end().catch(() => undefined);
    throw err;
  }

  if (options.useExistingDatabase) {
    await admin.end();
    log.warn(`working directly in the existing database of ${maskUrl(given)} (--use-existing-database)`);
    return urlInstance(given, async () => {});
  }

  await admin.end();
  const template = options.templateDatabase ? { name: options.templateDatabase, major: (await serverRelease(given)).major } : undefined;
  const wanted = scratchDatabaseName(null);
  // a snapshot's spare clone, made at the end of an earlier run, is taken as it is (a rename);
  // when another run took it first, the template is cloned
  const claimed = options.spareDatabase
    ? await claimScratchDatabase(given, options.spareDatabase, wanted).catch((err: unknown) => {
        log.info(`the ready clone ${options.spareDatabase} was not taken (${(err as Error).message}): cloning the template`);
        return null;
      })
    : null;
  const scratch = claimed ?? (await createScratchDatabase(given, wanted, template));
  const name = new URL(scratch.url).pathname.slice(1);
  log.info(`scratch database ${name} ${claimed ? `taken from the ready clone ${options.spareDatabase}` : 'created'} on ${parsed.host}`);
  const url = scratch.url;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= options.keep ? Promise.resolve(scratch.keep()).then(() => log.info(`kept scratch database ${name} (--keep)`)) : scratch.drop());

  return urlInstance(url, stop);
}

/** A database on a server the run did not start: its settings are the server's, nothing to restart. */
async function urlInstance(url: string, stop: () => Promise<void>): Promise<Instance> {
  return { url, provider: 'url', ...(await serverRelease(url)), prepareForReplay: async () => {}, settingsInForce: () => readSettingsInForce(url), stop };
}
