import { createReadStream } from 'node:fs';
import os from 'node:os';
import { createGunzip } from 'node:zlib';
import { infraError } from '../core/errors.ts';
import type { ContainerAccess } from '../provision/index.ts';
import { pgRestoreStderr, psqlProblem, QUOTED_LINES, quote } from './restore-output.ts';
import type { DumpFormat } from './types.ts';
import type { Logger } from '../core/log.ts';

/**
 * Where a container restore goes: the database's URL and the container's tools (the interface the
 * container provider implements: provision's ContainerAccess; an Instance of that provider is one).
 */
export interface ContainerTarget {
  readonly url: string;
  readonly provider?: string;
  readonly container?: ContainerAccess;
}

export interface ContainerRestoreOptions {
  /** pg_restore -j (default: os.availableParallelism(); tar: 1) */
  jobs?: number;
}

/**
 * Restore a dump with the container's own client tools, so that an archive of a pg_dump newer than
 * the host's pg_restore loads as long as the server's major reads it. Archives (custom, directory,
 * tar) are copied into the container and restored there with pg_restore (no owners, no privileges,
 * no tablespaces, stop at the first error), then the copy is removed; plain SQL (gzip too: unpacked
 * on the host) is streamed into the container's psql. The same options and messages as the host
 * restore of the load stage.
 */
export async function restoreInContainer(
  instance: ContainerTarget,
  dumpPath: string,
  format: DumpFormat,
  log: Logger,
  options: ContainerRestoreOptions = {},
): Promise<void> {
  const box = instance.container;
  if (!box) throw new Error(`restoreInContainer needs an instance of the container provider (got ${instance.provider})`);

  if (format === 'plain' || format === 'plain-gzip') {
    const progress = log.progress(`psql in the container: ${format === 'plain-gzip' ? 'gzipped plain SQL' : 'plain SQL'}`);
    const problems: string[] = [];
    const file = createReadStream(dumpPath);
    let gzipError: Error | undefined;
    const source = format === 'plain-gzip' ? file.pipe(createGunzip()).on('error', (e) => (gzipError = e)) : file;
    const result = await box.exec(['psql', '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-f', '-'], {
      stdin: source,
      onStderrLine: (line) => {
        if (problems.length < QUOTED_LINES && line.trim()) problems.push(psqlProblem(line));
      },
    });
    if (gzipError) {
      throw infraError(`${dumpPath} is a corrupt or truncated gzip file (${gzipError.message}); the database is partly loaded`, 'check the dump with gzip -t');
    }
    if (result.exitCode !== 0) {
      throw infraError(
        `psql in the container loading ${dumpPath} failed (exit ${result.exitCode}): ${quote(problems) || 'no error message'}`,
        hintFor(problems),
      );
    }
    progress.done();
    return;
  }

  const copyStep = log.progress(`copying ${dumpPath} into the container`);
  const inside = await box.copyIn(dumpPath);
  copyStep.done();
  try {
    const list = await box.exec(['pg_restore', '-l', inside]);
    if (list.exitCode !== 0) {
      if (/unsupported version \(\d+\.\d+\) in file header/.test(list.stderr)) {
        const version = await box.exec(['pg_restore', '--version']);
        throw infraError(
          `${dumpPath} is a pg_dump archive too new for the container's ${version.stdout.trim() || 'pg_restore'} (image ${box.image})`,
          'run the rehearsal on an image of the major that wrote the dump or later (--image postgres:<major>)',
        );
      }
      throw infraError(`pg_restore in the container cannot read ${dumpPath}: ${quote(list.stderr.split('\n')) || `exit ${list.exitCode}`}`);
    }
    const entries = list.stdout.split('\n').filter((l) => /^\d+;/.test(l) && !/^\d+; \d+ \d+ (ACL|DEFAULT ACL) /.test(l)).length;

    const requested = options.jobs ?? os.availableParallelism();
    const jobs = format === 'tar' || !(requested >= 1) ? 1 : Math.floor(requested);
    const progress = log.progress(`pg_restore ${format} archive in the container (${jobs} job${jobs === 1 ? '' : 's'})`);
    const stderr = pgRestoreStderr(progress, entries);
    const problems = stderr.problems;
    const result = await box.exec(
      [
        'pg_restore',
        '--no-owner',
        '--no-privileges',
        '--no-tablespaces',
        '--exit-on-error',
        '--verbose',
        '-j',
        String(jobs),
        '-d',
        dbName(instance.url),
        inside,
      ],
      { onStderrLine: stderr.onLine },
    );
    if (result.exitCode !== 0) {
      throw infraError(
        `pg_restore in the container of ${dumpPath} failed (exit ${result.exitCode}): ${quote(problems) || 'no error message'}`,
        hintFor(problems),
      );
    }
    progress.done(`${entries} items`);
  } finally {
    await box.removeCopy(inside).catch(() => undefined);
  }
}

/** The database of the URL: pg_restore -d takes it, the PG* variables of the exec give the rest. */
function dbName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

function hintFor(lines: string[]): string | undefined {
  const text = lines.join('\n');
  if (/extension control file|extension ".*" is not available/.test(text)) {
    return 'the dump needs an extension the image does not have: use an image that has it (e.g. postgis/postgis), or a dump without it';
  }
  if (/role ".*" does not exist/.test(text)) return 'create the roles the dump refers to first (pg_dumpall --roles-only), or use --provider url';
  if (/unrecognized configuration parameter|invalid command \\restrict/.test(text)) {
    return 'the dump comes from a newer pg_dump than this server: use an image of the major of the source server (--image postgres:<major>)';
  }
  return undefined;
}
