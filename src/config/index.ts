import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { usageError } from '../errors.ts';
import type { LoadSpec } from '../load/types.ts';
import { parseSettingFlags } from '../provision/settings.ts';
import type { ProvisionOptions } from '../provision/types.ts';
import { RunConfigSchema, type RunConfig } from './schema.ts';

export { RunConfigSchema, type RunConfig };

/** What the orchestrator needs to run one rehearsal, fully resolved. */
export interface RehearsalPlan {
  provision: ProvisionOptions;
  load: LoadSpec;
  migrations: { folder: string; from?: string };
  inspect: { rollback: boolean; checkDrift: boolean; expectSchema?: string };
  outDir: string | undefined;
  quiet: boolean;
  json: boolean;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bundled example: the shop dataset and migrations rehearsing the playbook cases. */
export const EXAMPLE = {
  fixture: 'shop',
  scale: 50_000,
  migrations: path.join(packageRoot, 'fixtures', 'shop', 'migrations'),
};
const CONFIG_NAMES = ['rehearse.config.json', 'rehearse.config.yaml', 'rehearse.config.yml'];

/** Read a config file given with --config, or the first rehearse.config.* in the folder. */
export function readConfigFile(explicit: string | undefined, cwd = process.cwd()): { file: string | null; config: RunConfig } {
  const file = explicit ?? CONFIG_NAMES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f));
  if (!file) return { file: null, config: {} };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw usageError(`config file ${file} cannot be read`, 'check the --config path');
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw usageError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  return { file, config: validate(raw ?? {}, file) };
}

export function validate(raw: unknown, source: string): RunConfig {
  const parsed = RunConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    throw usageError(`${source}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`, `known keys: ${Object.keys(RunConfigSchema.shape).join(', ')}`);
  }
  throw usageError(`${source}: ${where}: ${z.prettifyError(new z.ZodError([issue])).replace(/^✖ /, '').split('\n')[0]}`);
}

/** Merge file and flags (flags win) and resolve defaults into a plan. */
export function resolvePlan(file: RunConfig, flags: RunConfig): RehearsalPlan {
  const c: RunConfig = { ...file, ...stripUndefined(flags) };
  if (c.dump && c.fixture) throw usageError('--dump and --fixture both given', 'choose one source of data');
  if (c.example && c.dump) throw usageError('--example and --dump both given', '--example loads the bundled shop dataset');

  const fixture = c.fixture ?? (c.example && !c.dump ? EXAMPLE.fixture : undefined);
  const load: LoadSpec = c.dump
    ? { kind: 'dump', path: c.dump }
    : fixture
      ? { kind: 'fixture', name: fixture, scale: c.scale ?? EXAMPLE.scale, seed: c.seed ?? 42 }
      : { kind: 'none' };
  if (c.scale !== undefined && !fixture) throw usageError('--scale applies to --fixture only');

  const folder = c.migrations ?? (c.example ? relativeIfInside(EXAMPLE.migrations) : undefined);
  if (!folder) throw usageError('no migrations to rehearse', 'pass --migrations DIR (or --example for the bundled example)');

  const provider = c.provider ?? (c.databaseUrl ? 'url' : 'embedded');
  if (provider === 'url' && !c.databaseUrl) throw usageError('--provider url needs --database-url');
  if (provider === 'embedded' && c.databaseUrl) throw usageError('--database-url is for --provider url');
  if (provider === 'embedded' && (c.keep || c.useExistingDatabase)) {
    throw usageError(`--${c.keep ? 'keep' : 'use-existing-database'} is for --provider url`);
  }
  if (c.useExistingDatabase && load.kind !== 'none') {
    throw usageError('--use-existing-database works on the data already in that database', 'drop --dump/--fixture, or drop --use-existing-database to load into a scratch database');
  }
  let settings: Record<string, string>;
  try {
    settings = Array.isArray(c.pgSetting) ? parseSettingFlags(c.pgSetting) : (c.pgSetting ?? {});
  } catch (err) {
    throw usageError((err as Error).message);
  }

  return {
    provision: {
      provider,
      ...(c.postgres !== undefined ? { postgresMajor: c.postgres } : {}),
      settings,
      ...(c.databaseUrl ? { databaseUrl: c.databaseUrl } : {}),
      keep: c.keep ?? false,
      useExistingDatabase: c.useExistingDatabase ?? false,
    },
    load,
    migrations: { folder, ...(c.from !== undefined ? { from: c.from } : {}) },
    inspect: { rollback: c.rollback ?? false, checkDrift: c.checkDrift ?? false, ...(c.expectSchema ? { expectSchema: c.expectSchema } : {}) },
    outDir: c.out,
    quiet: c.quiet ?? false,
    json: c.json ?? false,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A path under the working directory is shown relative to it (shorter file:line in reports). */
function relativeIfInside(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
