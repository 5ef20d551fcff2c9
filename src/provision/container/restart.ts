import pg from 'pg';
import { infraError, usageError } from '../../core/errors.ts';
import { sleep } from '../../core/numbers.ts';
import type { PgSettings } from '../types.ts';
import type { Docker } from './engine.ts';
import { containerLog } from './logs.ts';

/** How long a start (the image pulled or not) or a restart may take. */
export const STARTUP_TIMEOUT_MS = 120_000;

/**
 * The settings of a phase go to postgresql.auto.conf (ALTER SYSTEM), replacing those of the phase
 * before; the command line carries only what never changes, since it would override them.
 */
export async function applySettings(url: string, settings: PgSettings): Promise<void> {
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

/** The settings of a phase, then a restart of the container so that those needing one take effect. */
export async function applyAndRestart(docker: Docker, id: string, url: string, settings: PgSettings, what: string): Promise<void> {
  await applySettings(url, settings);
  await restart(docker, id, url, what);
}

/**
 * Stop the server with a fast shutdown (SIGINT: sessions end, a checkpoint is written, whatever the
 * image's STOPSIGNAL) and start the container again; the data stays in the container.
 */
export async function restart(docker: Docker, id: string, url: string, what: string): Promise<void> {
  await halt(docker, id);
  await docker.getContainer(id).start();
  await waitReady(docker, id, url, what);
}

/** Stop the server cleanly (a fast shutdown: a checkpoint is written); the container stays. */
export async function halt(docker: Docker, id: string): Promise<void> {
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
export async function waitReady(docker: Docker, id: string, url: string, what: string): Promise<void> {
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
