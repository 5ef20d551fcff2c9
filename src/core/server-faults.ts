import fs from 'node:fs/promises';
import { infraError, type RehearseError } from './errors.ts';

/**
 * Faults of the rehearsal server rather than of the migration: the disk full, the backend or the
 * whole server gone, connections refused, resources exhausted. Told apart by SQLSTATE (class 53
 * insufficient resources, 57P0x shutdown/crash, 58 system error, XX internal, 08 connection) and
 * by what node-postgres says when the socket dies. Each becomes an infrastructure error (exit 3)
 * with a message that says what happened and a hint.
 */
export interface ServerFault {
  message: string;
  hint: string;
}

const DISK_FULL = /No space left on device|could not extend file/i;

const CONNECTION_LOST =
  /Connection terminated|not queryable|crash of another server process|unexpected postmaster exit|ECONNRESET|ECONNREFUSED|server closed the connection|terminating connection|the database system is (shutting down|starting up|in recovery mode)|not currently accepting connections|EPIPE/i;

export function serverFault(sqlstate: string | undefined, message: string, where: string): ServerFault | null {
  const s = sqlstate ?? '';
  if (s === '53100' || DISK_FULL.test(message)) {
    return {
      message: `the rehearsal server ran out of disk space ${where}: ${message}`,
      hint: 'give the data directory more room (PG_REHEARSE_RUN_ROOT or TMPDIR on a bigger disk; rehearse doctor --dump estimates the need)',
    };
  }
  const noState = s === '' || s === 'XX000'; // node-postgres's own errors carry none (replay says XX000)
  if (s === '57P01' || s === '57P02' || s === '57P03' || s.startsWith('08') || (noState && CONNECTION_LOST.test(message))) {
    return {
      message: `the rehearsal server went away ${where}: ${message}`,
      hint: 'its backend was terminated or the server crashed or stopped accepting connections; this is not a verdict on the migration: see the server log, then run again',
    };
  }
  if (s === '55000' && /accepting connections/i.test(message)) {
    return {
      message: `the rehearsal server refused a connection ${where}: ${message}`,
      hint: 'something changed the database or server mid-run (ALLOW_CONNECTIONS, pg_hba, a restart); run again',
    };
  }
  if (s.startsWith('53') || s.startsWith('58') || (s.startsWith('XX') && s !== 'XX000')) {
    return {
      message: `the rehearsal server failed ${where} (${s}): ${message}`,
      hint: 'a resource or system error of the server, not of the migration: see the server log',
    };
  }
  return null;
}

/** An error thrown outside the replay (introspection, probes, a stage's own connection) as a server fault, or null. */
export function asServerFault(err: unknown, where: string): RehearseError | null {
  const e = err as { code?: string; message?: string } | null;
  const message = e?.message ?? String(err);
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (!code && !CONNECTION_LOST.test(message)) return null;
  const fault = serverFault(code, message, where);
  return fault ? infraError(fault.message, fault.hint, err) : null;
}

/** The first failed statement of a replay that failed because of the server, not the SQL. */
export function firstServerFault(
  migrations: readonly { statements: readonly { error?: { sqlstate: string; message: string; file: string; line: number } }[] }[],
): ServerFault | null {
  for (const m of migrations) {
    for (const st of m.statements) {
      const fault = st.error && serverFault(st.error.sqlstate, st.error.message, `at ${st.error.file}:${st.error.line}`);
      if (fault) return fault;
    }
  }
  return null;
}

/**
 * When the disk holding `dir` is (almost) full: a note saying so, else null. A full disk often
 * shows only as a crash (PostgreSQL PANICs when it cannot write WAL), so a fault is checked
 * against the disk before the server is stopped and its files removed.
 */
export async function diskFullNote(dir: string, message = ''): Promise<string | null> {
  const st = await fs.statfs(dir).catch(() => null);
  const free = st ? st.bavail * st.bsize : 0;
  const total = st ? st.blocks * st.bsize : 0;
  if (st && (free <= 64 * 1024 ** 2 || free <= total * 0.01)) {
    return `the disk holding ${dir} is full (${Math.round(free / 1024 ** 2)} MB of ${Math.round(total / 1024 ** 2)} MB free): the rehearsal server ran out of disk space`;
  }
  // the server (and its files) may be gone by now, e.g. a failed load stops it at once: the
  // server's own words say the disk was full when it wrote
  if (DISK_FULL.test(message)) return `the disk holding ${dir} is full (the server said: No space left on device): the rehearsal server ran out of disk space`;
  return null;
}
