import { capture } from '../capture/index.ts';
import { readConfigFile, resolvePlan, validate, type RunConfig } from '../config/index.ts';
import { usageError } from '../core/errors.ts';
import { createLogger } from '../core/log.ts';
import type { CaptureCommandOptions } from './flags.ts';

/** The file `rehearse capture` writes when --out is not given. */
export const DEFAULT_CAPTURE_FILE = 'new-app.json';

/**
 * `rehearse capture [dataset and server flags as run takes them] --out new-app.json -- <command…>`:
 * the dataset and migrations resolved as for run (flags over the config file), then src/capture.
 */
export async function captureCommand(command: string[], opts: CaptureCommandOptions): Promise<number> {
  const { config: file } = await readConfigFile(opts.config);
  const { config: _c, out, quiet, pgSetting, ...rest } = opts;
  const flags: RunConfig = validate({ ...rest, pgSetting: pgSetting.length ? pgSetting : undefined }, 'flags');
  // the dataset, server and migrations of a run; capture has no report, workload or command mode
  const { migrateCommand, workload: _w, sampleMs: _s, warmup: _wu, cooldown: _cd, ...fileRest } = file;
  if (migrateCommand && !flags.migrations && !file.migrations)
    throw usageError(
      'capture applies the pending migrations of --migrations DIR itself; the config file gives a --migrate-command only',
      'pass --migrations DIR',
    );
  const plan = resolvePlan(fileRest, flags);
  const log = createLogger({ quiet: Boolean(quiet) });
  const outcome = await capture({ plan, command, out: out ?? DEFAULT_CAPTURE_FILE, log });
  return outcome.exitCode;
}
