import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ReportSchema } from '../src/report/model/schema.ts';

const bin = path.resolve('bin/rehearse.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-command-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const run = (args: string[]) => execa('node', [bin, 'run', '--database-url', inject('pgUrl'), ...args], { reject: false, cwd: path.resolve('.') });

describe('rehearse run --migrate-command', () => {
  it('a command that fails exits 1 with its stderr (passwords masked) in report.json', async () => {
    const out = path.join(work, 'failing');
    const res = await run([
      '--migrate-command',
      'echo "connecting to $DATABASE_URL" >&2; echo "error: migration 002 failed" >&2; exit 4',
      '--out',
      out,
      '--format',
      'json',
    ]);
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.exitCode).toBe(1);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    ReportSchema.parse(report);
    const m = report.migrations[0];
    expect(m).toMatchObject({ id: 'command', status: 'failed' });
    expect(m.command).toMatchObject({ exitCode: 4, capture: 'sampled' });
    expect(m.command.stderr).toContain('error: migration 002 failed');
    // the rehearsal database's password never reaches the report
    const password = decodeURIComponent(new URL(inject('pgUrl')).password);
    expect(m.command.stderr).toContain(':****@');
    expect(JSON.stringify(report)).not.toContain(password);
    expect(report.verdict).toMatchObject({ status: 'fail' });
  });

  it('an unknown command exits 2 with a clear message, before any server', async () => {
    const res = await run(['--migrate-command', 'no-such-migration-tool up', '--out', path.join(work, 'unknown')]);
    expect(res.exitCode).toBe(2);
    expect(res.stderr + res.stdout).toContain('--migrate-command: "no-such-migration-tool" is not found');
  });

  it('refuses what command mode cannot do', async () => {
    const res = await run(['--migrate-command', 'true', '--rollback']);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toContain('--rollback');
    const noFolder = await execa('node', [bin, 'run', '--database-url', inject('pgUrl')], { reject: false });
    expect(noFolder.exitCode).toBe(2);
    expect(noFolder.stderr).toContain('--migrate-command');
  });

  it('is in the help', async () => {
    const res = await execa('node', [bin, 'run', '--help'], { reject: false });
    expect(res.stdout).toContain('--migrate-command <command>');
  });
});
