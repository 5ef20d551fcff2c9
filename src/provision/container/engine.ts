import { getContainerRuntimeClient } from 'testcontainers';
import { infraError, usageError } from '../../core/errors.ts';

/** The engine's API client (dockerode), as testcontainers holds it. */
export type Docker = Awaited<ReturnType<typeof getContainerRuntimeClient>>['container']['dockerode'];

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

/** Whether the engine has the image already (else starting it pulls it). */
export async function hasImage(docker: Docker, image: string): Promise<boolean> {
  return docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** localhost may resolve to ::1 first, where a host-network server listening on 127.0.0.1 is not. */
export function urlHost(host: string): string {
  if (host === 'localhost') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
