import { infraError } from '../../core/errors.ts';

/** Why a container did not start, with what to do: Ryuk, an image that could not be pulled, or the server's own log. */
export function startError(err: unknown, image: string, imagePresent: boolean, logLines: string) {
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

export function interruptedError() {
  return infraError('the container was removed while it was starting (interrupted)');
}

/** The free port was taken between looking and binding: worth another try with another. */
export const portRace = (err: unknown) => /address already in use|port is already allocated/i.test(String((err as Error)?.message));
