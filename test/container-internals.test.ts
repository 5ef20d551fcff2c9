import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RehearsalContainer, TESTCONTAINERS_CHECKED } from '../src/provision/container/internals.ts';

/**
 * src/provision/container/internals.ts reaches into testcontainers' protected fields (exposedPorts,
 * createOpts, hostConfig). They are not part of its API and may change in any release: this test
 * ties that file to the version it was checked against, so an upgrade fails here, with what to do,
 * before a run fails on a remote engine. No Docker engine needed.
 */
const installed = (pkg: string): string => JSON.parse(fs.readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;

const UPGRADE =
  'testcontainers changed: check src/provision/container/internals.ts (exposedPorts, createOpts.ExposedPorts, hostConfig.PortBindings of GenericContainer) against the new version, run the container tests, then set TESTCONTAINERS_CHECKED';

type Fields = { exposedPorts: unknown; createOpts: Record<string, unknown>; hostConfig: Record<string, unknown> };
const fields = (c: RehearsalContainer) => c as unknown as Fields;

describe('testcontainers internals (container provider)', () => {
  it.each(['testcontainers', '@testcontainers/postgresql'])('%s is the version internals.ts was checked against', (pkg) => {
    expect(installed(pkg), `${pkg} ${installed(pkg)} installed, internals.ts checked against ${TESTCONTAINERS_CHECKED}. ${UPGRADE}`).toBe(
      TESTCONTAINERS_CHECKED,
    );
  });

  it('a published port goes to exposedPorts, createOpts.ExposedPorts and hostConfig.PortBindings', () => {
    const c = new RehearsalContainer('postgres:17').withPublishedPort(54321, '127.0.0.1');
    expect(() => c.internals(), UPGRADE).not.toThrow();
    expect(fields(c).exposedPorts).toEqual([{ container: 5432, host: 54321 }]);
    expect(fields(c).createOpts.ExposedPorts).toEqual({ '5432/tcp': {} });
    expect(fields(c).hostConfig.PortBindings).toEqual({ '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '54321' }] });
  });

  it('withoutPorts leaves nothing to publish (host network)', () => {
    const c = new RehearsalContainer('postgres:17').withPublishedPort(54321, '').withoutPorts();
    expect(fields(c).exposedPorts).toEqual([]);
    expect(fields(c).createOpts.ExposedPorts).toBeUndefined();
    expect(fields(c).hostConfig.PortBindings).toBeUndefined();
  });

  it('a field that is gone is named in a clear error, not a TypeError', () => {
    const c = new RehearsalContainer('postgres:17');
    delete (c as unknown as Partial<Fields>).hostConfig;
    expect(() => c.withoutPorts()).toThrow(/has no hostConfig \(pg-rehearse was checked against testcontainers 12\.0\.1\)/);
  });
});
