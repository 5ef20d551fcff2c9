import crypto from 'node:crypto';
import path from 'node:path';
import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { Wait } from 'testcontainers';
import type { Logger } from '../../core/log.ts';
import { DEFAULT_CONTAINER_MAJOR } from '../../core/names.ts';
import { freePort } from '../../core/net.ts';
import { REHEARSAL_DATABASE } from '../embedded.ts';
import { LOAD_SETTINGS, maxConnections, REPLAY_SETTINGS, readSettingsInForce, serverRelease, toPostgresFlags } from '../settings.ts';
import type { Instance, PgSettings, ProvisionOptions } from '../types.ts';
import { containerAccess } from './access.ts';
import { dockerEngine, hasImage, isLoopback, urlHost, type Docker } from './engine.ts';
import { interruptedError, portRace, startError } from './errors.ts';
import { CONTAINER_PORT, RehearsalContainer } from './internals.ts';
import { containerRun, runLabels, type ContainerRun } from './labels.ts';
import { runLogLines } from './logs.ts';
import { sweepOrphans } from './orphans.ts';
import { applyAndRestart, halt, STARTUP_TIMEOUT_MS, waitReady } from './restart.ts';

const USER = 'postgres';
/** /dev/shm of the container: PostgreSQL's parallel workers share memory there (Docker's default is 64 MB). */
const SHM_BYTES = 1024 ** 3;

/** What a container of this run is started with. */
interface ContainerSpec {
  image: string;
  /** 'host', a Docker network's name, or undefined for a published port */
  network: string | undefined;
  /** the engine runs on this machine: bind to loopback only */
  local: boolean;
  password: string;
  maxConnections: string;
  /** a snapshot clone: its data directory, put in place before the server starts (src/snapshot) */
  seed: ProvisionOptions['fromArchive'];
}

/** A started container and how to reach its server. */
interface Booted {
  started: StartedPostgreSqlContainer;
  id: string;
  url: string;
  /** the port the server listens on inside the container (libpq tools run there use it) */
  innerPort: number;
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
  const user = options.settings ?? {};

  const { client, docker } = await dockerEngine();
  const local = isLoopback(client.info.containerRuntime.host);
  const imagePresent = await hasImage(docker, image);
  await sweepOrphans(docker, log);
  const run = containerRun(docker);
  // a snapshot clone keeps the cluster's own password (src/snapshot)
  const seed = options.fromArchive;
  const password = seed?.password ?? crypto.randomBytes(18).toString('base64url');
  const spec: ContainerSpec = { image, network, local, password, maxConnections: maxConnections(options), seed };

  const step = log.progress(
    `starting PostgreSQL container ${image}${network === 'host' ? ' (host network)' : network ? ` (network ${network})` : ''}${seed ? ' on a snapshot clone' : ''}`,
  );
  if (!imagePresent) step.update(`pulling ${image}`);
  let server: Booted;
  let release: { version: string; major: number };
  try {
    server = await boot(docker, run, spec, imagePresent);
    if (run.stopped) throw interruptedError();
    await waitReady(docker, server.id, server.url, 'first start');
    // a clone starts with the load settings it was saved with; nothing is loaded on it
    if (!seed) {
      step.update('load settings');
      await applyAndRestart(docker, server.id, server.url, { ...user, ...LOAD_SETTINGS }, 'load settings');
    }
    release = await serverRelease(server.url);
    step.done(`${urlHost(server.started.getHost())}:${new URL(server.url).port}, container ${server.id.slice(0, 12)}`);
  } catch (err) {
    await run.stop();
    throw err;
  }

  if (options.postgresMajor !== undefined && options.postgresMajor !== release.major) {
    log.warn(`--postgres ${options.postgresMajor} asked, but the image ${image} runs PostgreSQL ${release.version}`);
  }
  const { url, id } = server;
  const pgEnv = { PGHOST: '127.0.0.1', PGPORT: String(server.innerPort), PGUSER: USER, PGPASSWORD: spec.password, PGDATABASE: REHEARSAL_DATABASE };
  return {
    url,
    provider: 'container',
    ...release,
    async prepareForReplay() {
      const replayStep = log.progress('restarting the container with production-like durability');
      await applyAndRestart(docker, id, url, { ...REPLAY_SETTINGS, ...user }, 'replay settings');
      replayStep.done();
    },
    settingsInForce: () => readSettingsInForce(url, Object.keys(user)),
    async whileStopped(fn) {
      const env: string[] = (await docker.getContainer(id).inspect()).Config.Env ?? [];
      const dataDir = env.find((e) => e.startsWith('PGDATA='))?.slice('PGDATA='.length) || '/var/lib/postgresql/data';
      await halt(docker, id);
      try {
        return await fn(dataDir, spec.password);
      } finally {
        await docker.getContainer(id).start();
        await waitReady(docker, id, url, 'load settings, after the snapshot copy');
      }
    },
    stop: run.stop,
    container: containerAccess(docker, server.started, image, pgEnv),
  };
}

/** Create and start the container; once more with another port when the free one was taken meanwhile (at most three tries). */
async function boot(docker: Docker, run: ContainerRun, spec: ContainerSpec, imagePresent: boolean): Promise<Booted> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const innerPort = spec.network === 'host' ? port : CONTAINER_PORT;
    const container = await rehearsalContainer(spec, run.runId, port, innerPort);
    let started: StartedPostgreSqlContainer;
    try {
      started = await run.track(container.start());
    } catch (err) {
      if (run.stopped) throw interruptedError();
      await run.removeAll();
      if (attempt < 3 && portRace(err)) continue;
      throw startError(err, spec.image, imagePresent, await runLogLines(docker, run.runId));
    }
    const url = `postgresql://${USER}:${encodeURIComponent(spec.password)}@${urlHost(started.getHost())}:${port}/${REHEARSAL_DATABASE}`;
    return { started, id: started.getId(), url, innerPort };
  }
}

/** The container of a run: its labels, the server's command line, the network or published port, a snapshot's data. */
async function rehearsalContainer(spec: ContainerSpec, runId: string, port: number, innerPort: number): Promise<RehearsalContainer> {
  const hostNetwork = spec.network === 'host';
  // on the host network the server shares the host's addresses: only loopback when the engine is here
  const base: PgSettings = {
    listen_addresses: hostNetwork && spec.local ? '127.0.0.1' : '*',
    port: String(innerPort),
    max_connections: spec.maxConnections,
  };
  const container = new RehearsalContainer(spec.image)
    .withDatabase(REHEARSAL_DATABASE)
    .withUsername(USER)
    .withPassword(spec.password)
    .withLabels(runLabels(runId))
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
    container.withPublishedPort(port, spec.local ? '127.0.0.1' : '');
    if (spec.network) container.withNetworkMode(spec.network);
  }
  // the snapshot's data directory is in place before the server starts: the entrypoint skips initdb
  if (spec.seed) {
    container
      .withEnvironment({ PGDATA: spec.seed.dataDir })
      .withCopyArchivesToContainer([{ tar: await spec.seed.open(), target: path.posix.dirname(spec.seed.dataDir) }]);
  }
  return container;
}
