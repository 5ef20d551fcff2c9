import type { TestProject } from 'vitest/node';
import { provision, type Instance } from '../src/provision/index.ts';
import { silentLogger } from '../src/util/log.ts';

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
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}
