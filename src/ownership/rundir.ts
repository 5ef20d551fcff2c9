import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { firstPrivateAncestor } from '../core/paths.ts';
import { currentOwner, ownerLiveness, parseOwner, type Liveness, type Owner } from './owner.ts';

/** Run folders are `<root>/pg-rehearse-XXXXXX/` holding `data/` (the cluster) and this marker. */
export const RUN_PREFIX = 'pg-rehearse-';
export const MARKER = 'pg-rehearse-owner.json';
export const DATA_DIR = 'data';

export interface RunDirMarker extends Owner {
  kind: 'embedded';
  guardianPid?: number;
}

/**
 * Where run folders are made and swept: PG_REHEARSE_RUN_ROOT, else the temp folder (as root, one
 * the postgres user can enter: os.tmpdir() when every folder above it lets others through, else /tmp).
 */
export async function runRoot(): Promise<string> {
  const set = process.env.PG_REHEARSE_RUN_ROOT;
  if (set) return path.resolve(set);
  const tmp = os.tmpdir();
  if (os.userInfo().uid !== 0) return tmp;
  return (await firstPrivateAncestor(tmp)) === null ? tmp : '/tmp';
}

/** A new run folder, marked as this process's before anything goes in. */
export async function createRunDir(root: string): Promise<string> {
  await fs.mkdir(root, { recursive: true }).catch(() => undefined);
  const dir = await fs.mkdtemp(path.join(root, RUN_PREFIX));
  await writeMarker(dir, {});
  return dir;
}

export async function writeMarker(dir: string, extra: { guardianPid?: number }): Promise<void> {
  const marker: RunDirMarker = { ...currentOwner(), kind: 'embedded', ...extra };
  await fs.writeFile(path.join(dir, MARKER), JSON.stringify(marker) + '\n');
}

export interface RunDirLeftover {
  dir: string;
  owner: Owner;
  liveness: Liveness;
  /** the postmaster still running on its data directory, if any */
  postmasterPid: number | null;
}

/** Every marked run folder under `root` with its owner's state; unmarked folders are not ours. */
export async function listRunDirs(root: string): Promise<RunDirLeftover[]> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const found: RunDirLeftover[] = [];
  for (const name of names.filter((n) => n.startsWith(RUN_PREFIX))) {
    const dir = path.join(root, name);
    const owner = await fs
      .readFile(path.join(dir, MARKER), 'utf8')
      .then((t) => parseOwner(JSON.parse(t)))
      .catch(() => null);
    if (!owner) continue;
    found.push({ dir, owner, liveness: ownerLiveness(owner), postmasterPid: postmasterOf(dir) });
  }
  return found;
}

/** The pid in data/postmaster.pid when that process is a postgres serving this very directory. */
export function postmasterOf(dir: string): number | null {
  const dataDir = path.join(dir, DATA_DIR);
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(dataDir) ? pid : null;
  } catch {
    return null;
  }
}

/** Stop the leftover's postmaster (SIGQUIT, SIGKILL after 5 s) and remove its folder. */
export async function removeRunDir(leftover: RunDirLeftover): Promise<void> {
  const pid = postmasterOf(leftover.dir);
  if (pid !== null) await stopProcess(pid, 5_000);
  await fs.rm(leftover.dir, { recursive: true, force: true, maxRetries: 3 });
}

async function stopProcess(pid: number, graceMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals | 0) => {
    try {
      process.kill(pid, s);
      return true;
    } catch {
      return false;
    }
  };
  if (!signal('SIGQUIT')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (!signal(0)) return;
  }
  signal('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
}
