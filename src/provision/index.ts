import type { Logger } from '../core/log.ts';
import { startEmbedded } from './embedded.ts';
import { connectUrl } from './url.ts';
import type { Instance, ProvisionOptions } from './types.ts';

export type { Instance, ProvisionOptions, ProviderName, PgSettings } from './types.ts';
export { parseSettingFlags, withPreloadedLibrary } from './settings.ts';
export { bundledMajor } from './embedded-binaries.ts';
export type { ContainerAccess, ContainerExecOptions, ContainerExecResult } from './container/types.ts';

/** A PostgreSQL database the rehearsal may change freely. */
export function provision(options: ProvisionOptions, log: Logger): Promise<Instance> {
  switch (options.provider) {
    case 'embedded':
      return startEmbedded(options, log);
    case 'url':
      return connectUrl(options, log);
    case 'container':
      // loaded on demand: testcontainers (dockerode, undici, ...) costs startup time for other providers
      return import('./container/index.ts').then((m) => m.startContainer(options, log));
  }
}
export { createScratchDatabase, scratchDatabaseName, templateClause, type ScratchDatabase } from './scratch.ts';
export { checkProvisionPaths } from './paths-check.ts';
export { cacheDir } from './embedded-binaries.ts';

/** The Docker engine the container provider uses (testcontainers' client and dockerode), loaded on demand. */
export const dockerEngine = async () => (await import('./container/index.ts')).dockerEngine();

/** Containers of runs on this machine with their owners' state; with `remove`, the dead owners' removed (loaded on demand). */
export async function sweepRunContainers(remove: boolean) {
  const m = await import('./container/index.ts');
  const { docker } = await m.dockerEngine();
  return m.sweepContainers(docker, remove);
}
