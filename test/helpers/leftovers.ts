import fs from 'node:fs';
import { execa } from 'execa';
import { sql } from './db.ts';

/**
 * "Nothing left": what a run (or a killed run) may leave, seen from outside. Each looks only at
 * what is marked as ours (a private run root, a pid's labels and comments), never at other
 * servers on this machine.
 */

/** Processes whose command line names `dir` (a postmaster of a data directory under it). */
export function processesUsing(dir: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmd.includes(dir) && !cmd.includes('pg-rehearse-guardian') ? [`${d} ${cmd}`] : [];
      } catch {
        return [];
      }
    });
}

/** Run folders (pg-rehearse-*) under a run root. */
export function runDirs(root: string): string[] {
  return fs.existsSync(root) ? fs.readdirSync(root).filter((f) => f.startsWith('pg-rehearse-')) : [];
}

/** Scratch databases on the server of `url` whose owner comment names one of `pids`. */
export async function scratchDatabasesOf(url: string, pids: number[]): Promise<string[]> {
  const rows = await sql<{ datname: string; comment: string | null }>(
    url,
    `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname LIKE 'rehearse\\_%'`,
  );
  return rows.filter((r) => pids.some((p) => r.comment?.includes(`"pid":${p},`))).map((r) => r.datname);
}

export async function dockerUp(): Promise<boolean> {
  const res = await execa('docker', ['info'], { reject: false, timeout: 10_000 });
  return res.exitCode === 0;
}

/** Containers labelled with one of `pids` as their owner. */
export async function containersOf(pids: number[]): Promise<string[]> {
  const out: string[] = [];
  for (const pid of pids) {
    const res = await execa('docker', ['ps', '-aq', '--filter', `label=org.pg-rehearse.pid=${pid}`], { reject: false, timeout: 20_000 });
    out.push(...res.stdout.split('\n').filter(Boolean));
  }
  return out;
}

/** Wait until `check` returns an empty list (or give up after `ms`); returns the last list. */
export async function until<T>(check: () => T[] | Promise<T[]>, ms: number): Promise<T[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await check();
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}
