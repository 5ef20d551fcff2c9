import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * Who owns a thing a run created (a data directory, a container, a scratch database): the process
 * (pid + its start time, so a reused pid is not mistaken for the owner), the machine and the run.
 * A later process decides from this alone whether the owner still lives.
 */
export interface Owner {
  pid: number;
  /** field 22 of /proc/<pid>/stat (clock ticks after boot); null where /proc is missing */
  startTime: string | null;
  host: string;
  runId: string;
  createdAt: string;
}

/** The start time of a process, as the kernel counts it; null when it is gone (or no /proc). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count after its ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

let self: Owner | undefined;

/** This process as an owner: one run id per process. */
export function currentOwner(): Owner {
  self ??= {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    host: os.hostname(),
    runId: crypto.randomBytes(6).toString('hex'),
    createdAt: new Date().toISOString(),
  };
  return self;
}

export type Liveness = 'alive' | 'dead' | 'elsewhere';

/**
 * 'dead' only when we can be sure: same machine, and the pid is gone or now belongs to a process
 * started at another time. Another machine's owner is 'elsewhere' (never ours to judge).
 */
export function ownerLiveness(owner: Pick<Owner, 'pid' | 'startTime' | 'host'>): Liveness {
  if (owner.host !== os.hostname()) return 'elsewhere';
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return 'alive';
  if (!pidExists(owner.pid)) return 'dead';
  if (owner.startTime === null) return 'alive';
  const now = processStartTime(owner.pid);
  return now === null || now === owner.startTime ? 'alive' : 'dead';
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An owner written into text (a marker file, a database comment, container labels read back). */
export function parseOwner(value: unknown): Owner | null {
  if (!value || typeof value !== 'object') return null;
  const o = value as Record<string, unknown>;
  if (typeof o.pid !== 'number' || typeof o.host !== 'string' || typeof o.runId !== 'string') return null;
  return {
    pid: o.pid,
    startTime: typeof o.startTime === 'string' ? o.startTime : null,
    host: o.host,
    runId: o.runId,
    createdAt: typeof o.createdAt === 'string' ? o.createdAt : '',
  };
}
