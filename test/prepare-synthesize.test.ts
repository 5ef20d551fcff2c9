import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cacheList, cacheRemove } from '../src/snapshot/index.ts';

/** `rehearse prepare --synthesize`: a synthesized dataset saved as a snapshot, as a dump's is. */
const bin = path.resolve('bin/rehearse.js');
const synth = path.resolve('test/fixtures-synth');
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-test-prepsynth-'));
});
afterAll(async () => {
  const scope = { dir: path.join(tmp, 'none'), databaseUrl: inject('pgUrl') };
  for (const e of await cacheList(scope)) if (e.source.includes('client-types.stats.json')) await cacheRemove(scope, e.key).catch(() => undefined);
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('rehearse prepare --synthesize', () => {
  it('synthesizes and saves the snapshot once; the same schema, statistics, fraction and seed find it saved', async () => {
    const args = [
      'prepare',
      '--provider',
      'url',
      '--database-url',
      inject('pgUrl'),
      '--schema',
      path.join(synth, 'client-types.sql'),
      '--synthesize',
      path.join(synth, 'client-types.stats.json'),
      // at 0.5, checked_redraw's n has 750 values and a redraw step that is a multiple of 3: its
      // CHECK (n % 3 <> 0) was never met before the draws got their offsets (plan.ts DRAW_OFFSETS)
      '--fraction',
      '0.5',
      '--seed',
      '7',
    ];
    const first = await execa('node', [bin, ...args], { reject: false });
    expect(first.stderr).toMatch(/snapshot \w+ ready/);
    expect(first.exitCode).toBe(0);
    const key = /snapshot (\w+) ready/.exec(first.stderr)![1]!;
    const second = await execa('node', [bin, ...args], { reject: false });
    expect(second.stderr).toMatch(new RegExp(`snapshot ${key} already saved .*; nothing to do`));
    expect(second.exitCode).toBe(0);
    const other = await execa('node', [bin, ...args.slice(0, -1), '8'], { reject: false });
    expect(other.exitCode).toBe(0);
    expect(other.stderr).not.toContain(key);
    const entry = (await cacheList({ dir: path.join(tmp, 'none'), databaseUrl: inject('pgUrl') })).find((e) => e.key === key);
    expect(entry?.source).toMatch(/synthesized from .*client-types\.stats\.json at fraction 0\.5/);
  });

  it('without a dataset: exit 2, naming the three', async () => {
    const res = await execa('node', [bin, 'prepare', '--provider', 'url', '--database-url', inject('pgUrl')], { reject: false });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/prepare needs --dump, --fixture or --synthesize/);
  });
});
