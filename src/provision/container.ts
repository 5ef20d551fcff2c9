import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { Wait, getContainerRuntimeClient } from 'testcontainers';
import { infraError, usageError } from '../core/errors.ts';
import { onExitCleanup } from '../core/cleanup.ts';
import type { Logger } from '../core/log.ts';
import { freePort } from '../core/net.ts';
import { currentOwner, ownerLiveness, type Liveness } from '../ownership/index.ts';
import { execInContainer, type Docker } from './container-exec.ts';
import type { ContainerAccess } from './container-types.ts';
import { REHEARSAL_DATABASE } from './embedded.ts';
import { LOAD_SETTINGS, maxConnections, REPLAY_SETTINGS, readSettingsInForce, serverVersion, toPostgresFlags } from './settings.ts';
import type { Instance, PgSettings, ProvisionOptions } from './types.ts';
import { sleep } from '../core/numbers.ts';
import { DEFAULT_CONTAINER_MAJOR } from '../core/names.ts';

/** The major of the default image (postgres:<major>) when neither --image nor --postgres is given. */
export { DEFAULT_CONTAINER_MAJOR };

/** Every container a run starts carries this label with the run's id, and its pid in another. */
export const RUN_LABEL = 'org.pg-rehearse.run';
export const PID_LABEL = 'org.pg-rehearse.pid';
/** ... and the machine's host name: with the pid it tells whether the run that started it still lives. */
export const HOST_LABEL = 'org.pg-rehearse.host';
/** ... and the start time of that pid, so a reused pid is not taken for the owner. */
export const START_LABEL = 'org.pg-rehearse.pid-start';

/** The port PostgreSQL listens on inside the container when it has a network of its own. */
const CONTAINER_PORT = 5432;
const USER = 'postgres';
/** /dev/shm of the container: PostgreSQL's parallel workers share memory there (Docker's default is 64 MB). */
const SHM_BYTES = 1024 ** 3;
const STARTUP_TIMEOUT_MS = 120_000;

/**
 * PostgreSqlContainer with its exposed port under our control: none on the host network (nothing
 * to publish), or one fixed host port otherwise, so the URL survives the restarts between load and
 * replay, bound to 127.0.0.1 when the engine runs on this machine.
 */
class RehearsalContainer extends PostgreSqlContainer {
  withoutPorts(): this {
    this.exposedPorts = [];
    delete this.createOpts.ExposedPorts;
    delete this.hostConfig.PortBindings;
    return this;
  }
  withPublishedPort(hostPort: number, hostIp: string): this {
    this.withoutPorts();
    this.exposedPorts = [{ container: CONTAINER_PORT, host: hostPort }];
    this.createOpts.ExposedPorts = { [`${CONTAINER_PORT}/tcp`]: {} };
    this.hostConfig.PortBindings = { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: hostIp, HostPort: String(hostPort) }] };
    return this;
  }
}

/**
 * A disposable PostgreSQL in a container (testcontainers): the image of the production major, a
 * random password, the load settings at start, production-like durability for the replay (both
 * through ALTER SYSTEM and a restart of the container), removed with its data by stop() — and on
 * Ctrl-C or SIGTERM, even while it is still starting.
 */
export async function startContainer(options: ProvisionOptions, log: Logger): Promise<Instance> {
  const image = options.image ?? `postgres:${options.postgresMajor ?? DEFAULT_CONTAINER_MAJOR}`;
  const network = options.containerNetwork;
  const hostNetwork = network === 'host';
  const user = options.settings ?? {};
  const max_connections = maxConnections(options);

  const { client, docker } = await dockerEngine();
  const engineHost = client.info.containerRuntime.host;
  const local = isLoopback(engineHost);
  const imagePresent = await docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );

  await sweepOrphans(docker, log);
  const runId = crypto.randomBytes(8).toString('hex');
  // a snapshot clone keeps the cluster's own password (src/snapshot)
  const seed = options.fromArchive;
  const password = seed?.password ?? crypto.randomBytes(18).toString('base64url');

  // Everything this run starts is found by its label, so a stop while start() is still under way
  // (Ctrl-C during the health check) still finds and removes the container.
  let starting: Promise<unknown> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= doStop());
  const doStop = async () => {
    unregister();
    await removeRun(docker, runId);
    if (starting) {
      // a container created after the first sweep: start() gives up soon once its container is gone
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([starting.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 20_000)))]);
      clearTimeout(timer);
      await removeRun(docker, runId);
    }
  };
  const unregister = onExitCleanup(stop);

  const step = log.progress(
    `starting PostgreSQL container ${image}${hostNetwork ? ' (host network)' : network ? ` (network ${network})` : ''}${seed ? ' on a snapshot clone' : ''}`,
  );
  if (!imagePresent) step.update(`pulling ${image}`);
  let started: StartedPostgreSqlContainer | undefined;
  let url = '';
  let version = '';
  let innerPort = CONTAINER_PORT;
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      innerPort = hostNetwork ? port : CONTAINER_PORT;
      // on the host network the server shares the host's addresses: only loopback when the engine is here
      const base: PgSettings = {
        listen_addresses: hostNetwork && local ? '127.0.0.1' : '*',
        port: String(innerPort),
        max_connections,
      };
      const container = new RehearsalContainer(image)
        .withDatabase(REHEARSAL_DATABASE)
        .withUsername(USER)
        .withPassword(password)
        .withLabels({ [RUN_LABEL]: runId, [PID_LABEL]: String(process.pid), [HOST_LABEL]: os.hostname(), [START_LABEL]: currentOwner().startTime ?? '' })
        .withCommand(['postgres', ...toPostgresFlags(base)])
        .withSharedMemorySize(SHM_BYTES)
        .withWaitStrategy(Wait.forHealthCheck())
        .withStartupTimeout(STARTUP_TIMEOUT_MS);
      if (hostNetwork)
        container
          .withNetworkMode('host')
          .withEnvironment({ PGPORT: String(port) })
          .withoutPorts();
      else {
        container.withPublishedPort(port, local ? '127.0.0.1' : '');
        if (network) container.withNetworkMode(network);
      }
      // the snapshot's data directory is in place before the server starts: the entrypoint skips initdb
      if (seed) {
        container.withEnvironment({ PGDATA: seed.dataDir }).withCopyArchivesToContainer([{ tar: await seed.open(), target: path.posix.dirname(seed.dataDir) }]);
      }
      starting = container.start();
      try {
        started = (await starting) as StartedPostgreSqlContainer;
      } catch (err) {
        if (stopping) throw interruptedError();
        await removeRun(docker, runId);
        // the free port was taken between looking and binding: once more with another
        if (attempt < 3 && /address already in use|port is already allocated/i.test(String((err as Error).message))) continue;
        throw startError(err, image, imagePresent, await lastLogLines(docker, runId));
      } finally {
        starting = undefined;
      }
      url = `postgresql://${USER}:${encodeURIComponent(password)}@${urlHost(started.getHost())}:${port}/${REHEARSAL_DATABASE}`;
      break;
    }
    if (stopping) throw interruptedError();
    await waitReady(docker, started.getId(), url, 'first start');
    // a clone starts with the load settings it was saved with; nothing is loaded on it
    if (!seed) {
      step.update('load settings');
      await applySettings(url, { ...user, ...LOAD_SETTINGS });
      await restart(docker, started.getId(), url, 'load settings');
    }
    version = await serverVersion(url);
    step.done(`${urlHost(started.getHost())}:${new URL(url).port}, container ${started.getId().slice(0, 12)}`);
  } catch (err) {
    await stop();
    throw err;
  }

  const containerId = started.getId();
  const major = Number(version.split('.')[0]);
  if (options.postgresMajor !== undefined && options.postgresMajor !== major) {
    log.warn(`--postgres ${options.postgresMajor} asked, but the image ${image} runs PostgreSQL ${version}`);
  }
  const pgEnv = { PGHOST: '127.0.0.1', PGPORT: String(innerPort), PGUSER: USER, PGPASSWORD: password, PGDATABASE: REHEARSAL_DATABASE };
  const box = started;
  const access: ContainerAccess = {
    id: containerId,
    image,
    exec: (cmd, execOptions) => execInContainer(docker, containerId, cmd, pgEnv, execOptions),
    async copyIn(hostPath) {
      const st = await fs.stat(hostPath);
      const target = `/tmp/pg-rehearse-${crypto.randomBytes(6).toString('hex')}/${path.basename(hostPath)}`;
      if (st.isDirectory()) await box.copyDirectoriesToContainer([{ source: hostPath, target }]);
      else await box.copyFilesToContainer([{ source: hostPath, target }]);
      return target;
    },
    async removeCopy(containerPath) {
      if (!containerPath.startsWith('/tmp/pg-rehearse-')) throw new Error(`not a copy made by copyIn: ${containerPath}`);
      await execInContainer(docker, containerId, ['rm', '-rf', path.posix.dirname(containerPath)], {});
    },
    archive: (containerPath) => docker.getContainer(containerId).getArchive({ path: containerPath }),
  };

  return {
    url,
    provider: 'container',
    version,
    major,
    async prepareForReplay() {
      const replayStep = log.progress('restarting the container with production-like durability');
      await applySettings(url, { ...REPLAY_SETTINGS, ...user });
      await restart(docker, containerId, url, 'replay settings');
      replayStep.done();
    },
    settingsInForce: () => readSettingsInForce(url, Object.keys(user)),
    async whileStopped(fn) {
      const env: string[] = (await docker.getContainer(containerId).inspect()).Config.Env ?? [];
      const dataDir = env.find((e) => e.startsWith('PGDATA='))?.slice('PGDATA='.length) || '/var/lib/postgresql/data';
      await halt(docker, containerId);
      try {
        return await fn(dataDir, password);
      } finally {
        await docker.getContainer(containerId).start();
        await waitReady(docker, containerId, url, 'load settings, after the snapshot copy');
      }
    },
    stop,
    container: access,
  };
}

/**
 * The engine testcontainers finds (DOCKER_HOST, ~/.testcontainers.properties, the usual sockets).
 * When DOCKER_HOST is set it must be that one: testcontainers would quietly fall back to a local
 * socket, and a rehearsal meant for a remote engine with a big disk would fill this machine's.
 */
export async function dockerEngine() {
  const client = await getContainerRuntimeClient().catch((err: unknown) => {
    throw infraError(
      `no Docker engine answers${process.env.DOCKER_HOST ? ` at DOCKER_HOST=${process.env.DOCKER_HOST}` : ''}: ${(err as Error).message}`,
      'start Docker (dockerd, Docker Desktop, colima, podman with its Docker socket) or point DOCKER_HOST at one; on a Debian machine as root scripts/container-image.sh starts one',
      err,
    );
  });
  const docker = client.container.dockerode;
  const wanted = process.env.DOCKER_HOST;
  if (wanted) {
    const modem = docker.modem as { socketPath?: string; host?: string };
    let target: URL | undefined;
    try {
      target = new URL(wanted);
    } catch {
      throw usageError(`DOCKER_HOST=${wanted} is not a URL`, 'use unix:///path/to/docker.sock or tcp://host:2375');
    }
    const same = target.hostname ? modem.host === target.hostname : modem.socketPath === target.pathname;
    if (!same) {
      throw infraError(
        `DOCKER_HOST=${wanted} does not answer (another engine does, at ${modem.socketPath ?? modem.host})`,
        'start that engine or check the address; unset DOCKER_HOST to use the local one',
      );
    }
  }
  return { client, docker };
}

/**
 * The settings of a phase go to postgresql.auto.conf (ALTER SYSTEM), replacing those of the phase
 * before; the command line carries only what never changes, since it would override them.
 */
async function applySettings(url: string, settings: PgSettings): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ALTER SYSTEM RESET ALL');
    for (const [name, value] of Object.entries(settings)) {
      const ident = name
        .split('.')
        .map((p) => pg.escapeIdentifier(p))
        .join('.');
      try {
        await client.query(`ALTER SYSTEM SET ${ident} = ${pg.escapeLiteral(value)}`);
      } catch (err) {
        throw usageError(`--pg-setting ${name}=${value}: ${(err as Error).message}`, 'use a setting and value this PostgreSQL major knows', err);
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Stop the server with a fast shutdown (SIGINT: sessions end, a checkpoint is written, whatever the
 * image's STOPSIGNAL) and start the container again; the data stays in the container.
 */
async function restart(docker: Docker, id: string, url: string, what: string): Promise<void> {
  await halt(docker, id);
  await docker.getContainer(id).start();
  await waitReady(docker, id, url, what);
}

/** Stop the server cleanly (a fast shutdown: a checkpoint is written); the container stays. */
async function halt(docker: Docker, id: string): Promise<void> {
  const ctr = docker.getContainer(id);
  const exited = ctr.wait();
  await ctr.kill({ signal: 'SIGINT' });
  // (the engine's connection does not keep the process alive: a ref'd timer must, until it is cleared)
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    exited.then(
      () => true,
      () => true,
    ),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), STARTUP_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (!done) {
    await ctr.kill().catch(() => undefined);
    await ctr.wait();
  }
}

/** Connect until the server answers; a container that stopped fails at once with its log. */
async function waitReady(docker: Docker, id: string, url: string, what: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      last = err;
      await client.end().catch(() => undefined);
    }
    const state = await docker
      .getContainer(id)
      .inspect()
      .then((i) => i.State)
      .catch(() => undefined);
    if (!state?.Running) {
      throw infraError(
        `the PostgreSQL container stopped (${what}, exit ${state?.ExitCode ?? '?'}): ${(await containerLog(docker, id)) || 'no log'}`,
        'check the --pg-setting values, and that the image is a PostgreSQL server image',
      );
    }
    await sleep(200);
  }
  throw infraError(
    `the PostgreSQL container did not accept connections within ${STARTUP_TIMEOUT_MS / 1000} s (${what}): ${(last as Error)?.message ?? ''}`,
    'with a remote engine (DOCKER_HOST) its published port must be reachable from here; else try --container-network host',
  );
}

/**
 * A run that crashed (an uncaught exception, kill -9) could not remove its container; without
 * Ryuk nothing else does. Each start removes those of this machine whose process is gone.
 */
async function sweepOrphans(docker: Docker, log: Logger): Promise<void> {
  const removed = await sweepContainers(docker, true);
  const orphans = removed.filter((c) => c.liveness === 'dead');
  if (orphans.length === 0) return;
  log.info(
    `removed ${orphans.length} container${orphans.length === 1 ? '' : 's'} left by earlier runs that ended abruptly: ${orphans.map((c) => c.name).join(', ')}`,
  );
}

export interface ContainerLeftover {
  id: string;
  name: string;
  runId: string;
  liveness: Liveness;
}

/** The containers of runs on this machine with their owner's state; with `remove`, the dead owners' removed. */
export async function sweepContainers(docker: Docker, remove: boolean): Promise<ContainerLeftover[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${HOST_LABEL}=${os.hostname()}`] } }).catch(() => []);
  const found = list.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    runId: c.Labels[RUN_LABEL] ?? '',
    liveness: ownerLiveness({ pid: Number(c.Labels[PID_LABEL]), startTime: c.Labels[START_LABEL] || null, host: os.hostname() }),
  }));
  if (remove) {
    await Promise.all(
      found
        .filter((c) => c.liveness === 'dead')
        .map((c) =>
          docker
            .getContainer(c.id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
    );
  }
  return found;
}

async function removeRun(docker: Docker, runId: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } }).catch(() => []);
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
}

function startError(err: unknown, image: string, imagePresent: boolean, logLines: string) {
  const message = (err as Error)?.message ?? String(err);
  if (/ryuk/i.test(message)) {
    return infraError(
      `testcontainers could not start its clean-up helper (Ryuk): ${message}`,
      'set TESTCONTAINERS_RYUK_DISABLED=true (pg-rehearse removes its containers itself on exit and Ctrl-C), or make testcontainers/ryuk pullable',
      err,
    );
  }
  if (!imagePresent) {
    return infraError(
      `the image ${image} is not on the Docker engine and could not be pulled: ${message}`,
      'pull it where a registry is reachable (docker pull / docker load), or build a local one: scripts/container-image.sh 15, then --image rehearse-local/postgres:15',
      err,
    );
  }
  return infraError(
    `the PostgreSQL container (${image}) did not start: ${message}${logLines ? ` | ${logLines}` : ''}`,
    'where port publishing is unavailable use --container-network host; check the image is a PostgreSQL server image honouring POSTGRES_PASSWORD',
    err,
  );
}

function interruptedError() {
  return infraError('the container was removed while it was starting (interrupted)');
}

/** The last problem lines of a container's log (a stopped one included). */
async function containerLog(docker: Docker, id: string): Promise<string> {
  const raw = await docker
    .getContainer(id)
    .logs({ stdout: true, stderr: true, tail: 60, follow: false })
    .catch(() => Buffer.alloc(0));
  const lines = demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
    .split('\n')
    .filter((l) => /FATAL|ERROR|PANIC|invalid|could not|entrypoint/i.test(l));
  return lines.slice(-4).join(' | ');
}

async function lastLogLines(docker: Docker, runId: string): Promise<string> {
  // the container may already be gone (removed after the failure); nothing then
  const list = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } }).catch(() => []);
  return list[0] ? containerLog(docker, list[0].Id) : '';
}

/** Docker's log stream without a TTY: frames of [stream, 0, 0, 0, size(4)] + payload. */
function demux(buf: Buffer): string {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || buf[0]! > 2) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** localhost may resolve to ::1 first, where a host-network server listening on 127.0.0.1 is not. */
function urlHost(host: string): string {
  if (host === 'localhost') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
