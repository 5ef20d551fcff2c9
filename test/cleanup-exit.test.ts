import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A script that registers cleanups (a bench, through provision) and ends by itself is not
 * interrupted: it exits with its own code, not 130, and what was still registered is undone.
 * A signal still ends it with 130.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-cleanup-exit-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const script = (marker: string, tail: string) => `
import fs from 'node:fs';
import { onExitCleanup } from './src/core/cleanup.ts';
onExitCleanup(async () => { fs.writeFileSync(${JSON.stringify(marker)}, 'undone'); });
${tail}
`;
const run = (code: string) => execa('node', ['--import', 'tsx', '--input-type=module', '-e', code], { reject: false, cwd: process.cwd(), stdin: 'ignore' });

describe('a script that ends by itself', () => {
  it('exits 0 (not 130), its pending cleanups done', async () => {
    const marker = path.join(work, 'natural');
    const r = await run(script(marker, 'await new Promise((r) => setTimeout(r, 50));'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.readFileSync(marker, 'utf8')).toBe('undone');
  }, 30_000);

  it('keeps the exit code it set', async () => {
    const r = await run(script(path.join(work, 'code'), 'process.exitCode = 3;'));
    expect(r.exitCode, r.stderr).toBe(3);
  }, 30_000);

  it('a signal still ends it with 130 after its cleanups', async () => {
    const marker = path.join(work, 'signal');
    const child = run(script(marker, "setInterval(() => {}, 1000); console.log('ready');"));
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(fs.readFileSync(marker, 'utf8')).toBe('undone');
  }, 30_000);
});
