import { readConfigFile } from '../config/index.ts';
import { maskSecrets } from '../core/mask.ts';
import { RehearseError } from '../core/errors.ts';
import { doctorExitCode, renderChecks, runDoctor } from '../doctor/index.ts';
import { colorFor, defineCommand } from './options.ts';
import { DOCTOR_OPTIONS, type DoctorCommandOptions } from './flags.ts';

const DOCTOR_HELP = `
Checks, each ok / warn / FAIL (-- when not relevant to the options) with what to fix:
  node        Node.js 20 or later
  dump        --dump: its format, format version and size (what rehearse run would detect)
  postgres    the major a run starts, against the pg_dump that wrote the dump and its source
  pg_restore  on PATH; reads the dump's archive version (header, then pg_restore -l)
  psql        on PATH (plain SQL dumps)
  docker      --provider container: an engine answers (DOCKER_HOST honoured); the image is on it
  embedded    --provider embedded: the binaries of --postgres are bundled, cached, or installed on demand
  disk        free space in the temp folder against the dump restored (custom/directory x5, tar/plain x2, .sql.gz x10)
  root        as root: the postgres user exists or can be created; binaries reachable by it

Examples:
  $ rehearse doctor
  $ rehearse doctor --dump prod.dump --postgres 16
  $ rehearse doctor --dump prod.dump --provider container --image rehearse-local/postgres:15

Exit codes: 0 nothing failed (warnings allowed), 3 a check failed, 2 bad flags.`;

export const DOCTOR_COMMAND = defineCommand({
  name: 'doctor',
  description: 'check this machine for a rehearsal: client tools against the dump, Docker, embedded binaries, free disk, root; says what to fix',
  options: DOCTOR_OPTIONS,
  help: DOCTOR_HELP,
  run: (_args, opts) => doctorCommand(opts),
});

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
