import path from 'node:path';
import { execa } from 'execa';
import { RehearseError, describeError } from '../../core/errors.ts';
import { formatArchiveVersion, likelyWriter, minimumReaderMajor, newestReadableBy, type ArchiveVersion } from '../../load/index.ts';
import { INSTALL_CLIENT_HINT, clientTool, type ClientTool, type ClientToolName } from '../../load/index.ts';
import type { Check, DoctorOptions } from '../types.ts';
import type { DumpFacts } from './dump.ts';

const isArchive = (d: DumpFacts) => d.archiveVersion !== undefined;

/**
 * pg_restore (archives) and psql (plain SQL) on PATH, and for an archive whether this pg_restore
 * reads its format version — from the header, confirmed by `pg_restore -l`. The container provider
 * restores with the container's own tools: then these are not needed.
 */
export async function checkClientTools(options: DoctorOptions, dump: DumpFacts | null): Promise<Check[]> {
  if (options.provider === 'container') {
    return (['pg_restore', 'psql'] as const).map((name) => ({
      name,
      status: 'skip',
      message: `not needed: the container's own ${name} restores the dump (--provider container)`,
    }));
  }
  return [await checkPgRestore(dump), await checkPsql(dump)];
}

async function find(name: ClientToolName): Promise<{ tool: ClientTool } | { error: string }> {
  try {
    return { tool: await clientTool(name) };
  } catch (err) {
    const missing = (err as { cause?: { code?: string } }).cause?.code === 'ENOENT';
    return { error: missing ? `${name} not found on PATH` : err instanceof RehearseError ? err.message : describeError(err) };
  }
}

async function checkPgRestore(dump: DumpFacts | null): Promise<Check> {
  const needed = dump !== null && isArchive(dump);
  const found = await find('pg_restore');
  if ('error' in found) {
    return {
      name: 'pg_restore',
      status: needed ? 'fail' : 'warn',
      message: needed ? `${found.error}: ${dump!.path} is a pg_dump archive` : `${found.error} (needed to restore a pg_dump archive with --dump)`,
      fix: INSTALL_CLIENT_HINT,
    };
  }
  const { tool } = found;
  const newest = newestReadableBy(tool.major);
  const reads = newest ? `, reads archives up to ${formatArchiveVersion({ ...newest, rev: 0 })}` : '';
  if (!needed || !dump?.archiveVersion) return { name: 'pg_restore', status: 'ok', message: `pg_restore ${tool.version}${reads}` };

  const v = dump.archiveVersion;
  if (newest && newer(v, newest)) return tooNew(dump, v, tool, reads);
  // the header says it can: pg_restore itself has the last word
  const listed = await execa('pg_restore', ['-l', path.resolve(dump.path)], { reject: false, stdin: 'ignore', stdout: 'ignore' });
  if (listed.exitCode !== 0) {
    const stderr = String(listed.stderr ?? '');
    if (/unsupported version/.test(stderr)) return tooNew(dump, v, tool, reads);
    return {
      name: 'pg_restore',
      status: 'fail',
      message: `pg_restore ${tool.version} cannot read ${dump.path}: ${stderr.trim().split('\n')[0] ?? listed.shortMessage}`,
      fix: 'check the dump: pg_restore -l FILE lists what it holds',
    };
  }
  return {
    name: 'pg_restore',
    status: 'ok',
    message: `pg_restore ${tool.version}${reads}; reads ${path.basename(dump.path)} (format ${formatArchiveVersion(v)})`,
  };
}

function tooNew(dump: DumpFacts, v: ArchiveVersion, tool: ClientTool, reads: string): Check {
  const needed = minimumReaderMajor(v);
  return {
    name: 'pg_restore',
    status: 'fail',
    message: `${dump.path} is format ${formatArchiveVersion(v)} (${likelyWriter(v)}): too new for pg_restore ${tool.version}${reads}`,
    fix: needed
      ? `install postgresql-client-${needed} or later (apt-get install postgresql-client-${needed} / brew install libpq) and put it first on PATH; or --provider container --postgres ${needed}, which restores with the container's own pg_restore`
      : 'install the postgresql-client of the major that wrote the dump, or later, and put it first on PATH; or use --provider container with that major',
  };
}

async function checkPsql(dump: DumpFacts | null): Promise<Check> {
  const needed = dump !== null && !isArchive(dump);
  const found = await find('psql');
  if ('error' in found) {
    return {
      name: 'psql',
      status: needed ? 'fail' : 'warn',
      message: needed ? `${found.error}: ${dump!.path} is plain SQL` : `${found.error} (needed to restore a plain SQL dump with --dump)`,
      fix: INSTALL_CLIENT_HINT,
    };
  }
  return { name: 'psql', status: 'ok', message: `psql ${found.tool.version}` };
}

function newer(v: ArchiveVersion, than: ArchiveVersion): boolean {
  if (v.major !== than.major) return v.major > than.major;
  if (v.minor !== than.minor) return v.minor > than.minor;
  return v.rev > than.rev;
}
