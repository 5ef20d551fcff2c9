import { usageError } from '../core/errors.ts';
import { runRoot } from '../ownership/index.ts';
import { ensureWritableDir } from '../core/writable.ts';
import { bundledMajor, cacheDir } from './embedded-binaries.ts';
import type { ProvisionOptions } from './types.ts';

/**
 * Before any server starts: the folders this provider will write are writable — the run folder
 * root (data directory) for the embedded server, and the binaries cache when the major must be
 * installed. A usage error (exit 2) with the path and the reason otherwise.
 */
export async function checkProvisionPaths(options: ProvisionOptions): Promise<void> {
  if (options.provider !== 'embedded') return;
  const root = await runRoot();
  const problem = await ensureWritableDir(root);
  if (problem)
    throw usageError(
      `the data directory cannot be made in ${root}: ${problem}`,
      'set PG_REHEARSE_RUN_ROOT (or TMPDIR) to a writable folder with room for the dataset',
    );
  if (options.postgresMajor !== undefined && options.postgresMajor !== bundledMajor()) {
    const cache = cacheDir();
    const cacheProblem = await ensureWritableDir(cache);
    if (cacheProblem) throw usageError(`the binaries cache ${cache} is not writable: ${cacheProblem}`, 'set PG_REHEARSE_CACHE to a writable folder');
  }
}
