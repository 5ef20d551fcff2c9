import os from 'node:os';
import type { Logger } from '../../core/log.ts';
import { ownerLiveness, type Liveness } from '../../ownership/index.ts';
import type { Docker } from './engine.ts';
import { HOST_LABEL, PID_LABEL, RUN_LABEL, START_LABEL, removeContainer } from './labels.ts';

export interface ContainerLeftover {
  id: string;
  name: string;
  runId: string;
  liveness: Liveness;
}

/**
 * A run that crashed (an uncaught exception, kill -9) could not remove its container; without
 * Ryuk nothing else does. Each start removes those of this machine whose process is gone.
 */
export async function sweepOrphans(docker: Docker, log: Logger): Promise<void> {
  const removed = await sweepContainers(docker, true);
  const orphans = removed.filter((c) => c.liveness === 'dead');
  if (orphans.length === 0) return;
  log.info(
    `removed ${orphans.length} container${orphans.length === 1 ? '' : 's'} left by earlier runs that ended abruptly: ${orphans.map((c) => c.name).join(', ')}`,
  );
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
  if (remove) await Promise.all(found.filter((c) => c.liveness === 'dead').map((c) => removeContainer(docker, c.id)));
  return found;
}
