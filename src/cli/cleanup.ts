import { describeLeftover, sweep } from '../cleanup/index.ts';
import { ExitCode } from '../core/errors.ts';
import { maskSecrets } from '../core/mask.ts';
import type { CleanupOptions } from './flags.ts';

/** `rehearse cleanup`: what runs that died left behind, removed (docs/reliability.md). */
export async function cleanupCommand(opts: CleanupOptions): Promise<number> {
  const found = await sweep({ remove: !opts.dryRun, containers: true, ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}) });
  if (opts.json) process.stdout.write(JSON.stringify({ leftovers: found }, null, 2) + '\n');
  else {
    const lines = found.map(describeLeftover);
    const removed = found.filter((l) => l.removed).length;
    const orphaned = found.filter((l) => l.liveness === 'dead').length;
    lines.push(opts.dryRun ? `${orphaned} to remove (--dry-run: nothing removed)` : `${removed} removed`);
    process.stdout.write(maskSecrets(lines.join('\n')) + '\n');
  }
  return found.some((l) => l.error) ? ExitCode.infrastructure : ExitCode.ok;
}
