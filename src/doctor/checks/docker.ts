import { RehearseError, describeError } from '../../core/errors.ts';
import { dockerEngine } from '../../provision/index.ts';
import type { Check, DoctorOptions } from '../types.ts';

/** How long the engine may take to answer before the doctor says it does not. */
const TIMEOUT_MS = 20_000;

/**
 * --provider container: a Docker engine answers (DOCKER_HOST honoured, as the provider does), and
 * the image is on it (else it would be pulled from a registry).
 */
export async function checkDocker(options: DoctorOptions, image: string): Promise<Check[]> {
  if (options.provider !== 'container') return [{ name: 'docker', status: 'skip', message: `not needed for --provider ${options.provider}` }];
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)));
    const { client, docker } = await Promise.race([dockerEngine(), timeout]);
    const rt = client.info.containerRuntime;
    const engine: Check = {
      name: 'docker',
      status: 'ok',
      message: `Docker engine at ${rt.host} (${rt.operatingSystem}, ${rt.cpus} CPUs, ${Math.round(rt.memory / 1e9)} GB)`,
    };
    const present = await docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    const img: Check = present
      ? { name: 'image', status: 'ok', message: `${image} is on the engine` }
      : {
          name: 'image',
          status: 'warn',
          message: `${image} is not on the engine: the run pulls it from its registry`,
          fix: 'without a reachable registry build one: scripts/container-image.sh 15, then --image rehearse-local/postgres:15',
        };
    return [engine, img];
  } catch (err) {
    const hint = err instanceof RehearseError ? err.hint : undefined;
    return [
      {
        name: 'docker',
        status: 'fail',
        message:
          err instanceof RehearseError
            ? err.message
            : `no Docker engine answers${process.env.DOCKER_HOST ? ` at DOCKER_HOST=${process.env.DOCKER_HOST}` : ''}: ${describeError(err)}`,
        fix: hint ?? 'start Docker (dockerd, Docker Desktop, colima, podman with its Docker socket) or point DOCKER_HOST at one',
      },
    ];
  } finally {
    clearTimeout(timer);
  }
}
