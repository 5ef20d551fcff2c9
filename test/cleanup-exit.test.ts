import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-cleanup-exit-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A script using the clean-up registry as a library does (a bench, an import), ending on its own. */
const script = (exitCode: number | null) => {
  const file = path.join(work, `end-${exitCode}.ts`);
  fs.writeFileSync(
    file,
    [
      `import fs from 'node:fs';`,
      `import { onExitCleanup } from ${JSON.stringify(path.resolve('src/core/cleanup.ts'))};`,
      `onExitCleanup(async () => fs.writeFileSync(${JSON.stringify(path.join(work, `undone-${exitCode}`))}, 'x'));`,
      exitCode === null ? '' : `process.exitCode = ${exitCode};`,
    ].join('\n'),
  );
  return execa('node', ['--import', 'tsx', file], { reject: false });
};

describe('a process that ends on its own', () => {
  it('is no interruption: its own exit code (0 by default, not 130), its pending undos run', async () => {
    const plain = await script(null);
    expect(plain.exitCode).toBe(0);
    expect(fs.existsSync(path.join(work, 'undone-null'))).toBe(true);
    const failed = await script(3);
    expect(failed.exitCode).toBe(3);
    expect(fs.existsSync(path.join(work, 'undone-3'))).toBe(true);
  });
});
