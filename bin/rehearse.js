#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npm ci` is the whole install.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
