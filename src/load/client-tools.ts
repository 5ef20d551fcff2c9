import { execa } from 'execa';
import { infraError } from '../core/errors.ts';

/** The PostgreSQL client programs the load runs (pg_restore for archives, psql for plain SQL). */
export type ClientToolName = 'pg_restore' | 'psql' | 'pg_dump';

export interface ClientTool {
  name: ClientToolName;
  /** e.g. "15.18" */
  version: string;
  major: number;
}

export const INSTALL_CLIENT_HINT = 'install the PostgreSQL client tools: apt-get install postgresql-client / brew install libpq';

/** Finds a client tool on PATH and reads its version; an infra error saying what to install if absent. */
export async function clientTool(name: ClientToolName): Promise<ClientTool> {
  let stdout: string;
  try {
    ({ stdout } = await execa(name, ['--version']));
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw missingToolError(name, err);
    throw infraError(`${name} --version failed: ${(err as Error).message}`, INSTALL_CLIENT_HINT, err);
  }
  return parseToolVersion(name, stdout);
}

export function missingToolError(name: ClientToolName, cause?: unknown) {
  return infraError(`${name} is not installed (not found on PATH); loading a dump needs it`, INSTALL_CLIENT_HINT, cause);
}

/** "pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → 15.18; "psql (PostgreSQL) 18beta1" → 18beta1 */
export function parseToolVersion(name: ClientToolName, stdout: string): ClientTool {
  const m = /\(PostgreSQL\)\s+(\d+)(\.\d+)?(\S*)/.exec(stdout);
  if (!m) return { name, version: stdout.trim(), major: 0 };
  return { name, version: `${m[1]}${m[2] ?? ''}${m[3] ?? ''}`, major: Number(m[1]) };
}

/**
 * The connection for a client tool: the URL without its password (process lists show arguments)
 * and the password in PGPASSWORD. application_name says who is connected.
 */
export function clientConnection(url: string): { conninfo: string; env: Record<string, string> } {
  const env: Record<string, string> = { PGAPPNAME: 'pg-rehearse load' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { conninfo: url, env };
  }
  if (parsed.password) {
    env.PGPASSWORD = decodeURIComponent(parsed.password);
    parsed.password = '';
  }
  return { conninfo: parsed.toString(), env };
}
