import { readConfigFile } from '../config/index.ts';
import { maskSecrets } from '../core/mask.ts';
import { RehearseError } from '../core/errors.ts';
import { doctorExitCode, renderChecks, runDoctor } from '../doctor/index.ts';
import { colorFor } from './options.ts';
import type { DoctorCommandOptions } from './flags.ts';

export async function doctorCommand(opts: DoctorCommandOptions): Promise<number> {
  const { config } = await readConfigFile(opts.config);
  const postgres = opts.postgres ?? config.postgres;
  const major = postgres === undefined ? undefined : Number(postgres);
  if (major !== undefined && !Number.isInteger(major))
    throw new RehearseError('usage', `--postgres ${postgres}: not a PostgreSQL major`, { hint: 'e.g. --postgres 16' });
  const provider = opts.provider ?? config.provider ?? (config.databaseUrl ? 'url' : 'embedded');
  const dump = opts.dump ?? config.dump;
  const image = opts.image ?? config.image;
  const checks = await runDoctor({ provider, ...(dump ? { dump } : {}), ...(major !== undefined ? { postgres: major } : {}), ...(image ? { image } : {}) });
  if (opts.json) process.stdout.write(JSON.stringify({ checks, exitCode: doctorExitCode(checks) }, null, 2) + '\n');
  else process.stdout.write(maskSecrets(renderChecks(checks, { color: colorFor(process.stdout) })) + '\n');
  return doctorExitCode(checks);
}
