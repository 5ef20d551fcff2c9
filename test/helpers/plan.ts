import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, inject } from 'vitest';
import type { RehearsalPlan } from '../../src/config/index.ts';

/** A plan for rehearse() on the shared test server (a scratch database per run). */
export function planOn(folder: string, extra: Partial<RehearsalPlan> = {}): RehearsalPlan {
  return {
    provision: { provider: 'url', databaseUrl: inject('pgUrl'), settings: {}, keep: false, useExistingDatabase: false },
    load: { kind: 'none' },
    migrations: { folder },
    inspect: { rollback: false, checkDrift: false },
    traffic: null,
    timeouts: {},
    outDir: undefined,
    quiet: true,
    json: false,
    ...extra,
  };
}

/** The temp folders filesIn made in this test file: removed after its tests. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temp folder of files (migrations, dumps); one it makes itself is removed after the test file. */
export function filesIn(files: Record<string, string>, dir?: string): string {
  if (dir === undefined) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-files-'));
    made.push(dir);
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
