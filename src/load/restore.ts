import { createReadStream } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import { infraError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { formatArchiveVersion, likelyWriter, minimumReaderMajor, newestReadableBy } from './archive-version.ts';
import { clientConnection, clientTool, missingToolError, type ClientTool } from './client-tools.ts';
import type { DumpInfo } from './detect.ts';
import { pgRestoreStderr, psqlProblem, QUOTED_LINES, quote } from './restore-output.ts';

/**
 * A custom, directory or tar archive through pg_restore: no owners, no privileges (the roles of
 * production do not exist here), no tablespaces, stop at the first error. Tar archives cannot be
 * restored in parallel, so they use one job.
 */
export async function restoreArchive(dump: DumpInfo, url: string, jobs: number, log: Logger): Promise<void> {
  const tool = await clientTool('pg_restore');
  const entries = await countTocEntries(dump, tool);
  const { conninfo, env } = clientConnection(url);
  const j = dump.format === 'tar' || !(jobs >= 1) ? 1 : Math.floor(jobs);
  const args = ['--no-owner', '--no-privileges', '--no-tablespaces', '--exit-on-error', '--verbose', '-j', String(j), '-d', conninfo, path.resolve(dump.path)];

  const progress = log.progress(`pg_restore ${dump.format} archive (${j} job${j === 1 ? '' : 's'})`);
  const child = execa('pg_restore', args, { env, reject: false, stdin: 'ignore', stdout: 'ignore', buffer: { stderr: false } });
  const stderr = pgRestoreStderr(progress, entries);
  const problems = stderr.problems;
  readline.createInterface({ input: child.stderr! }).on('line', stderr.onLine);
  const result = await child;
  if (result.failed) {
    if (result.code === 'ENOENT') throw missingToolError('pg_restore');
    if (result.signal) {
      throw infraError(
        `pg_restore was killed (${result.signal}) while restoring ${dump.path}; the database is partly loaded${problems.length ? `: ${quote(problems)}` : ''}`,
        'SIGKILL without a Ctrl-C is often the out-of-memory killer (dmesg says); fewer jobs (the restore runs one per core) use less memory',
      );
    }
    throw infraError(
      `pg_restore of ${dump.path} failed (exit ${result.exitCode ?? result.signal ?? '?'}): ${quote(problems) || 'no error message'}`,
      hintFor(problems, tool),
    );
  }
  progress.done(`${entries} items`);
}

/**
 * `pg_restore -l`: the number of TOC entries (for progress), and the place where an archive newer
 * than the installed pg_restore is found out.
 */
async function countTocEntries(dump: DumpInfo, tool: ClientTool): Promise<number> {
  const result = await execa('pg_restore', ['-l', path.resolve(dump.path)], { reject: false, stdin: 'ignore' });
  if (result.failed) {
    const stderr = result.stderr.toString();
    if (/unsupported version \(\d+\.\d+\) in file header/.test(stderr)) throw tooNewError(dump, tool);
    throw infraError(`pg_restore cannot read ${dump.path}: ${quote(stderr.split('\n')) || result.shortMessage}`);
  }
  return result.stdout
    .toString()
    .split('\n')
    .filter((l) => /^\d+;/.test(l) && !/^\d+; \d+ \d+ (ACL|DEFAULT ACL) /.test(l)).length;
}

function tooNewError(dump: DumpInfo, tool: ClientTool) {
  const v = dump.archiveVersion;
  const archive = v ? `format version ${formatArchiveVersion(v)}, likely written by ${likelyWriter(v)}` : 'a format version it does not know';
  const readable = newestReadableBy(tool.major);
  const reads = readable ? ` (reads archives up to ${formatArchiveVersion({ ...readable, rev: 0 })})` : '';
  const needed = v && minimumReaderMajor(v);
  return infraError(
    `${dump.path} is a pg_dump archive of ${archive}, too new for the installed pg_restore ${tool.version}${reads}`,
    `install a newer postgresql-client${needed ? ` (${needed} or later: apt-get install postgresql-client-${needed} / brew install libpq)` : ' of the major that wrote the dump or later'} and put it first on PATH`,
  );
}

/**
 * Plain SQL (optionally gzip) through psql, streamed on stdin: stop at the first error, no psqlrc.
 */
export async function restorePlain(dump: DumpInfo, url: string, log: Logger): Promise<void> {
  const tool = await clientTool('psql');
  const { conninfo, env } = clientConnection(url);
  const progress = log.progress(`psql ${dump.format === 'plain-gzip' ? 'gzipped plain SQL' : 'plain SQL'}`);
  // -f - (rather than plain stdin) makes psql prefix its errors with psql:<stdin>:<line>
  const child = execa('psql', ['-v', 'ON_ERROR_STOP=1', '-X', '-q', '-f', '-', '-d', conninfo], {
    env,
    reject: false,
    stdin: 'pipe',
    stdout: 'ignore',
    buffer: { stderr: false },
  });
  const problems: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    if (problems.length < QUOTED_LINES && line.trim()) problems.push(psqlProblem(line));
  });

  // the bytes read from the file and, gzipped, the SQL bytes fed to psql: real figures, not a guess
  let read = 0;
  let fed = 0;
  let lastShown = 0;
  const gzip = dump.format === 'plain-gzip';
  const shown = () => `${mib(read)} of ${mib(dump.size)}${dump.size > 0 ? ` (${percent(read, dump.size)})` : ''}${gzip ? `, ${mib(fed)} of SQL` : ''}`;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, next) {
      read += chunk.length;
      const now = Date.now();
      if (now - lastShown > 250) {
        lastShown = now;
        progress.update(shown());
      }
      next(null, chunk);
    },
  });
  const sqlCounter = new Transform({
    transform(chunk: Buffer, _enc, next) {
      fed += chunk.length;
      next(null, chunk);
    },
  });
  const source = createReadStream(dump.path);
  const stdin = child.stdin!;
  let gzipError: Error | undefined;
  const piped = gzip ? pipeline(source, counter, createGunzip(), sqlCounter, stdin) : pipeline(source, counter, stdin);
  const feeding = piped.catch((err: NodeJS.ErrnoException) => {
    if (err.code?.startsWith('Z_')) gzipError = err; // corrupt or truncated gzip
    // EPIPE / premature close: psql stopped reading (it failed); its exit tells why
    child.stdin?.destroy();
  });
  const [result] = await Promise.all([child, feeding]);

  if (gzipError) {
    throw infraError(`${dump.path} is a corrupt or truncated gzip file (${gzipError.message}); the database is partly loaded`, 'check the dump with gzip -t');
  }
  if (result.failed) {
    if (result.code === 'ENOENT') throw missingToolError('psql');
    throw infraError(
      `psql loading ${dump.path} failed (exit ${result.exitCode ?? result.signal ?? '?'}): ${quote(problems) || 'no error message'}`,
      hintFor(problems, tool),
    );
  }
  progress.done(`${mib(read)}${gzip ? ` gzipped, ${mib(fed)} of SQL` : ''}`);
}

function hintFor(lines: string[], tool: ClientTool): string | undefined {
  const text = lines.join('\n');
  if (/invalid command \\restrict/.test(text)) {
    return `the dump was written by a pg_dump of August 2025 or later (17.6, 16.10, 15.14, ...); psql ${tool.version} predates \\restrict: install a newer postgresql-client`;
  }
  if (/extension control file|extension ".*" is not available/.test(text)) {
    return 'the dump needs an extension this server does not have: use --provider url with a server that has it, or a dump without it';
  }
  if (/role ".*" does not exist/.test(text)) return 'create the roles the dump refers to on the server first (pg_dumpall --roles-only), or use --provider url';
  if (/unrecognized configuration parameter/.test(text)) {
    return 'the dump comes from a newer pg_dump than this server: run the rehearsal with --postgres set to the major of the source server';
  }
  return undefined;
}

const percent = (part: number, whole: number) => `${Math.min(100, Math.floor((100 * part) / whole))}%`;
const mib = (bytes: number) =>
  bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(2)} GiB` : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} kiB`;
