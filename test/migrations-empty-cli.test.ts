import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../src/config/index.ts';
import { ExitCode, RehearseError } from '../src/core/errors.ts';

const bin = path.resolve('bin/rehearse.js');
const run = (args: string[]) => execa('node', [bin, ...args], { reject: false, cwd: path.resolve('.') });

describe('rehearse run --empty', () => {
  it('is a fresh install: no data source, nothing applied; it does not combine with one', () => {
    expect(resolvePlan({}, { empty: true, migrations: 'm' }).load).toEqual({ kind: 'none' });
    for (const [flags, message] of [
      [{ fixture: 'shop' }, '--empty and --fixture both given'],
      [{ dump: 'prod.dump' }, '--empty and --dump both given'],
      [{ from: '3' }, '--empty replays the whole history; --from says part of it is applied'],
    ] as const) {
      let err: unknown;
      try {
        resolvePlan({}, { empty: true, migrations: 'm', ...flags });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RehearseError);
      expect((err as RehearseError).message).toBe(message);
      expect((err as RehearseError).exitCode).toBe(ExitCode.usage);
    }
  });

  it('a goose file without "+goose Up" stops the run before any server starts: exit 2, the file named', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'rehearse-empty-'));
    const res = await run(['run', '--empty', '--migrations', 'test/fixtures-migrations/goose-missing-up', '--out', out, '--quiet']).finally(() =>
      rmSync(out, { recursive: true, force: true }),
    );
    expect(res.exitCode).toBe(2);
    expect(res.stdout + res.stderr).toContain(
      'test/fixtures-migrations/goose-missing-up/00002_add_slug.sql has no "-- +goose Up" annotation; goose refuses such a file too',
    );
  });
});
