import { usageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { checkWorkloadSyntax } from './syntax.ts';
import type { Workload } from './types.ts';
import { readWorkload } from './workload.ts';

/**
 * Where a rehearsal's traffic comes from: a workload file, a workload derived from statistics
 * (written out as an ordinary workload file), a captured PostgreSQL log. A source yields the
 * sessions to run and their schedule as one `Workload`:
 *
 * - `apps`: pools of clients running named queries, closed loop or at a rate;
 * - `background`: one session each, a transaction started at an offset;
 * - `sessions`: one connection each, its statements at their offsets (a replayed log's).
 *
 * The driver (`startTraffic`), the probes, the phases, the blocking attribution and the
 * compatibility matrix take the merged workload and never ask which source it came from.
 */
export interface TrafficSource {
  /** the file it reads, for messages and the report */
  readonly file: string;
  /** read and check it before any server starts; bad input is a usage error (exit 2) naming file and line */
  read(log: Logger): Promise<Workload>;
}

/** A workload file (YAML or JSON, docs/workload.md): its apps and background transactions. */
export function workloadSource(file: string): TrafficSource {
  return {
    file,
    async read() {
      const workload = await readWorkload(file);
      await checkWorkloadSyntax(workload);
      return workload;
    },
  };
}

/** Read every source and merge what they yield into one workload (app names must be distinct). */
export async function readTraffic(sources: TrafficSource[], log: Logger): Promise<Workload | null> {
  if (sources.length === 0) return null;
  const parts: Workload[] = [];
  for (const source of sources) parts.push(await source.read(log));
  if (parts.length === 1) return parts[0]!;
  const merged: Workload = { file: parts.map((p) => p.file).join(', '), apps: [], background: [], sessions: [] };
  for (const part of parts) {
    for (const app of part.apps) {
      if (merged.apps.some((a) => a.name === app.name))
        throw usageError(`app "${app.name}" comes from two traffic sources (${merged.file})`, 'rename the app in the workload file');
      merged.apps.push(app);
    }
    merged.background.push(...part.background);
    merged.sessions!.push(...(part.sessions ?? []));
    if (part.replay) merged.replay = part.replay;
  }
  return merged;
}
