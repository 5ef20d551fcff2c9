import crypto from 'node:crypto';
import os from 'node:os';
import { onExitCleanup } from '../../core/cleanup.ts';
import { currentOwner } from '../../ownership/index.ts';
import type { Docker } from './engine.ts';

/** Every container a run starts carries this label with the run's id, and its pid in another. */
export const RUN_LABEL = 'org.pg-rehearse.run';
export const PID_LABEL = 'org.pg-rehearse.pid';
/** ... and the machine's host name: with the pid it tells whether the run that started it still lives. */
export const HOST_LABEL = 'org.pg-rehearse.host';
/** ... and the start time of that pid, so a reused pid is not taken for the owner. */
export const START_LABEL = 'org.pg-rehearse.pid-start';

/** The labels of a container this process starts for run `runId`. */
export function runLabels(runId: string): Record<string, string> {
  return { [RUN_LABEL]: runId, [PID_LABEL]: String(process.pid), [HOST_LABEL]: os.hostname(), [START_LABEL]: currentOwner().startTime ?? '' };
}

/** The containers of a run, by their label (a stopped one included). */
export async function runContainers(docker: Docker, runId: string) {
  return docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } }).catch(() => []);
}

export async function removeContainer(docker: Docker, id: string): Promise<void> {
  await docker
    .getContainer(id)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}

export interface ContainerRun {
  readonly runId: string;
  /** a stop was asked (Ctrl-C, SIGTERM, a failed start) */
  readonly stopped: boolean;
  /** Await a container's start, so that a stop meanwhile waits for it and removes what it created. */
  track<T>(starting: Promise<T>): Promise<T>;
  /** Remove every container of the run, with its volumes; safe to call twice. Also on exit. */
  stop(): Promise<void>;
  /** Remove the containers of the run now (a failed start), without stopping the run. */
  removeAll(): Promise<void>;
}

/**
 * Everything a run starts is found by its label, so a stop while a start is still under way
 * (Ctrl-C during the health check) still finds and removes the container.
 */
export function containerRun(docker: Docker): ContainerRun {
  const runId = crypto.randomBytes(8).toString('hex');
  const removeAll = async () => {
    await Promise.all((await runContainers(docker, runId)).map((c) => removeContainer(docker, c.Id)));
  };
  let starting: Promise<unknown> | undefined;
  let stopping: Promise<void> | undefined;
  const doStop = async () => {
    unregister();
    await removeAll();
    if (starting) {
      // a container created after the first sweep: start() gives up soon once its container is gone
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([starting.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 20_000)))]);
      clearTimeout(timer);
      await removeAll();
    }
  };
  const stop = () => (stopping ??= doStop());
  const unregister = onExitCleanup(stop);
  return {
    runId,
    get stopped() {
      return stopping !== undefined;
    },
    async track(start) {
      starting = start;
      try {
        return await start;
      } finally {
        starting = undefined;
      }
    },
    stop,
    removeAll,
  };
}
