import { describeLeftover, sweep } from '../../cleanup/index.ts';
import type { Check, DoctorOptions } from '../types.ts';

/** What earlier runs left (data directories and their servers, containers): listed, not touched. */
export async function checkLeftovers(options: DoctorOptions & { databaseUrl?: string }): Promise<Check> {
  const found = await sweep({
    remove: false,
    containers: options.provider === 'container',
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
  });
  const orphaned = found.filter((l) => l.liveness === 'dead');
  const live = found.length - orphaned.length;
  if (orphaned.length === 0) return { name: 'leftovers', status: 'ok', message: `nothing left by earlier runs${live ? ` (${live} in use by live runs)` : ''}` };
  return {
    name: 'leftovers',
    status: 'warn',
    message: `${orphaned.length} left by runs that ended abruptly: ${orphaned.map(describeLeftover).join('; ')}`,
    fix: 'rehearse cleanup removes them (the next run does too)',
  };
}
