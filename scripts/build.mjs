#!/usr/bin/env node
/**
 * npm run build (and prepack): src/ compiled to dist/ by tsc (tsconfig.build.json: .ts imports
 * rewritten to .js), then the stamp of the sources it was built from (bin/sources.js), written last:
 * bin/rehearse.js runs dist/ only while the stamp matches src/.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP_FILE, sourcesStamp } from '../bin/sources.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = sourcesStamp(path.join(root, 'src'));
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
try {
  execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
} catch (err) {
  // tsc printed the errors; dist/ has no stamp, so bin/rehearse.js keeps running the sources
  process.stderr.write(`build: tsc failed (${err.status ?? err.message}); dist/ not stamped\n`);
  process.exit(1);
}
writeFileSync(path.join(root, 'dist', STAMP_FILE), `${stamp}\n`);
