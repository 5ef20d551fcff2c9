import type { Check } from '../types.ts';

/** Node.js 20 or later (package.json engines). */
export function checkNode(version = process.versions.node): Check {
  const major = Number(version.split('.')[0]);
  return major >= 20
    ? { name: 'node', status: 'ok', message: `Node.js ${version}` }
    : { name: 'node', status: 'fail', message: `Node.js ${version}; pg-rehearse needs 20 or later`, fix: 'install Node.js 20 or later (nvm install 20)' };
}
