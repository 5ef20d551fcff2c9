import { describeLeftover, sweep } from '../cleanup/index.ts';
import { ExitCode } from '../core/errors.ts';
import { maskSecrets } from '../core/mask.ts';
import { CLEANUP_OPTIONS, type CleanupOptions } from './flags.ts';
import { defineCommand } from './options.ts';

/** `rehearse cleanup`: what runs that died left behind, removed (docs/reliability.md). */

export const CLEANUP_COMMAND = defineCommand({
  name: 'cleanup',
  description:
    'remove what runs that ended abruptly (kill -9, OOM) left: servers and their data directories, containers, scratch databases; never what a live run owns',
  options: CLEANUP_OPTIONS,
  help: `
Only what carries a pg-rehearse owner mark (pid + start time + host) whose process is gone is
removed; a live run's server, another host's, and anything unmarked are left alone. Every run
does the same sweep at its start; rehearse doctor lists leftovers.

Exit codes: 0 done, 3 something could not be removed, 2 bad flags.`,
  run: (_args, opts) => cleanupCommand(opts),
});

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
