import { existsSync } from 'node:fs';
import { describeError } from '../core/errors.ts';
import { dropScratchDatabase, listRunDirs, listScratchDatabases, removeRunDir, runRoot, type Liveness } from '../ownership/index.ts';
import { maskUrl } from '../core/mask.ts';
import { sweepRunContainers } from '../provision/index.ts';

/**
 * What earlier runs left behind — data directories (with their servers), scratch databases,
 * containers — found by their owner marks. `remove` takes away those whose owner is dead;
 * a live owner's things and anything without our mark are never touched.
 */
export type LeftoverKind = 'data directory' | 'scratch database' | 'container';

export interface Leftover {
  kind: LeftoverKind;
  /** a path, a database name on a server, a container name */
  name: string;
  liveness: Liveness;
  detail?: string;
  removed: boolean;
  error?: string;
}

export interface SweepOptions {
  remove: boolean;
  /** where run folders are (default: runRoot()) */
  root?: string;
  /** a server whose rehearse_… scratch databases to look at */
  databaseUrl?: string;
  /** look at Docker too (only when an engine is likely there) */
  containers?: boolean;
}

export async function sweep(options: SweepOptions): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const d of await listRunDirs(options.root ?? (await runRoot()))) {
    const item: Leftover = {
      kind: 'data directory',
      name: d.dir,
      liveness: d.liveness,
      detail: `run ${d.owner.runId}, pid ${d.owner.pid}${d.postmasterPid ? `, server pid ${d.postmasterPid}` : ''}`,
      removed: false,
    };
    if (options.remove && d.liveness === 'dead')
      await removeRunDir(d).then(
        () => (item.removed = true),
        (err) => (item.error = describeError(err)),
      );
    found.push(item);
  }
  if (options.databaseUrl) {
    const url = options.databaseUrl;
    const dbs = await listScratchDatabases(url).catch(() => []);
    for (const db of dbs) {
      const item: Leftover = {
        kind: 'scratch database',
        name: db.database,
        liveness: db.liveness,
        detail: `on ${hostOf(url)}, run ${db.owner.runId}, pid ${db.owner.pid}`,
        removed: false,
      };
      if (options.remove && db.liveness === 'dead')
        await dropScratchDatabase(url, db.database).then(
          () => (item.removed = true),
          (err) => (item.error = describeError(err)),
        );
      found.push(item);
    }
  }
  if (options.containers && dockerLikely()) {
    try {
      for (const c of await sweepRunContainers(options.remove)) {
        found.push({ kind: 'container', name: c.name, liveness: c.liveness, detail: `run ${c.runId}`, removed: options.remove && c.liveness === 'dead' });
      }
    } catch {
      // no engine answering: nothing of ours can run there either
    }
  }
  return found;
}

function dockerLikely(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return maskUrl(url);
  }
}

/** One line per leftover, for the run's log, `rehearse cleanup` and `rehearse doctor`. */
export function describeLeftover(l: Leftover): string {
  const state = l.removed
    ? 'removed'
    : l.error
      ? `could not remove (${l.error})`
      : l.liveness === 'dead'
        ? 'orphaned (owner gone)'
        : l.liveness === 'alive'
          ? 'in use by a live run'
          : 'owned by another machine';
  return `${l.kind} ${l.name}${l.detail ? ` (${l.detail})` : ''}: ${state}`;
}

/** The server whose scratch databases the sweep looks at: a url server the run makes its own scratch database on (not --use-existing-database). */
export const sweptServer = (provision: {
  provider: string;
  databaseUrl?: string | undefined;
  useExistingDatabase?: boolean | undefined;
}): string | undefined => (provision.provider === 'url' && !provision.useExistingDatabase ? provision.databaseUrl : undefined);

/** The sweep at the start of every run: what earlier runs left on this machine, removed and said. */
export async function sweepAtStart(log: { info(m: string): void; warn(m: string): void }, databaseUrl?: string): Promise<Leftover[]> {
  const found = await sweep({ remove: true, ...(databaseUrl ? { databaseUrl } : {}) });
  for (const l of found) {
    if (l.removed) log.info(`cleaned up after an earlier run that ended abruptly: ${describeLeftover(l)}`);
    else if (l.error) log.warn(describeLeftover(l));
  }
  return found;
}
