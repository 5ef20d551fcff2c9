import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { usageError } from '../core/errors.ts';
import type { LoadSpec } from '../load/index.ts';
import { parseSettingFlags } from '../provision/index.ts';
import type { ProvisionOptions } from '../provision/index.ts';
import type { CachePlan } from '../snapshot/index.ts';
import type { TimeoutPolicy } from '../replay/index.ts';
import { parseDuration } from '../core/duration.ts';
import { RunConfigSchema, type RunConfig } from './schema.ts';
import { BudgetsConfigSchema, resolveBudgets, resolveRegression } from './budgets.ts';
import type { BudgetConfig } from '../report/index.ts';
import type { RegressionOptions } from '../report/index.ts';
import { DEFAULT_FORMATS, parseFormats } from '../report/index.ts';
import type { OutputFormat } from '../report/index.ts';
import type { BudgetsOn } from '../core/names.ts';

/** Calibration replays (docs/predictions.md): at these fractions of the rehearsal's rows, the first twice. */
export const DEFAULT_PREDICT_FRACTIONS = [0.25, 0.5];

export { RunConfigSchema, type RunConfig };
export { budgetFlags, BUDGET_FLAG_KEYS, BUDGET_NAMES, resolveRegression } from './budgets.ts';

/** What `rehearse run` does with the report once the replay is over (src/cli/run.ts). */
export interface ReportPlan {
  /** json is always written; terminal is the printed summary */
  formats: OutputFormat[];
  /** --baseline: an earlier report.json to compare with */
  baseline?: string;
  /** --report-url: where readers find the files, named in the Markdown */
  reportUrl?: string;
  budgets: BudgetConfig;
  /** --budgets-on: measured (default), predicted, or both (default with --predict-for) */
  budgetsOn: BudgetsOn;
  regression: RegressionOptions;
}

/** What the orchestrator needs to run one rehearsal, fully resolved. */
export interface RehearsalPlan {
  provision: ProvisionOptions;
  load: LoadSpec;
  /** snapshots of the loaded dataset (--cache, --no-cache or PG_REHEARSE_NO_CACHE=1, --cache-dir); absent: none */
  cache?: CachePlan;
  /** the migration folder; null in command mode without --migrations */
  migrations: { folder: string | null; from?: string };
  /** --migrate-command: a migration tool applies the migrations, captured from outside (command mode) */
  migrateCommand?: string;
  inspect: { rollback: boolean; checkDrift: boolean; expectSchema?: string };
  /** --workload and/or --replay-log: application traffic during the replay */
  traffic: {
    workload?: string;
    /** --workload-from: the statistics file the workload is derived from (written beside the report, then set as `workload`) */
    workloadFrom?: string;
    /** --replay-log: a captured log's sessions replayed at their timing (docs/workload.md, Replaying a log) */
    replayLog?: { file: string; database?: string; speed: number; byApplication: boolean };
    sampleMs: number;
    warmupMs: number;
    cooldownMs: number;
  } | null;
  /** --lock-timeout and friends */
  timeouts: TimeoutPolicy;
  outDir: string | undefined;
  quiet: boolean;
  json: boolean;
  /** --predict-for: predictions at the sizes of this statistics file, calibrated on samples at these fractions */
  predict?: { statsFile: string; fractions: number[] };
  /** --suggest: rewrite the mechanical findings into <out>/suggested/ and rehearse them (src/suggest) */
  suggest?: boolean;
  /** formats, budgets, baseline (absent: report.json, the summary and the default budgets) */
  report?: ReportPlan;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bundled example: the shop dataset and migrations rehearsing the playbook cases. */
export const EXAMPLE = {
  fixture: 'shop',
  scale: 30_000,
  migrations: path.join(packageRoot, 'fixtures', 'shop', 'migrations'),
};
const CONFIG_NAMES = [
  'rehearse.config.json',
  'rehearse.config.yaml',
  'rehearse.config.yml',
  'rehearse.config.ts',
  'rehearse.config.mts',
  'rehearse.config.js',
  'rehearse.config.mjs',
];
const CODE_CONFIG = /\.(ts|mts|cts|js|mjs|cjs)$/;

/**
 * Read a config file given with --config, or the first rehearse.config.* in the folder. JSON and
 * YAML are parsed; a .ts (or .js) file is imported through tsx and its default export (an object,
 * or a function returning one) is the config.
 */
export async function readConfigFile(explicit: string | undefined, cwd = process.cwd()): Promise<{ file: string | null; config: RunConfig }> {
  const file = explicit ?? CONFIG_NAMES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f));
  if (!file) return { file: null, config: {} };
  if (CODE_CONFIG.test(file)) return { file, config: validate(await importConfig(file), file) };
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

/**
 * A config module through tsx when it is installed (a clone: a dev dependency; a project that writes
 * rehearse.config.ts has it or adds it), else Node's own import: .js/.mjs, and .ts where the Node
 * strips types itself. The published package does not depend on a transpiler.
 */
async function importModule(href: string): Promise<unknown> {
  let tsx: typeof import('tsx/esm/api') | undefined;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    if (/\.[cm]?ts$/.test(href) && !(process.features as { typescript?: unknown }).typescript)
      throw new Error('a TypeScript config needs tsx (npm install --save-dev tsx) or Node.js 22.18 or later; or write it as .js, .json or .yaml');
    return import(href);
  }
  return tsx.tsImport(href, import.meta.url);
}

async function importConfig(file: string): Promise<unknown> {
  if (!fs.existsSync(file)) throw usageError(`config file ${file} cannot be read`, 'check the --config path');
  let mod: { default?: unknown };
  try {
    mod = (await importModule(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
  } catch (err) {
    throw usageError(
      `${file}: cannot be loaded: ${(err as Error).message.split('\n')[0]}`,
      'the file must be valid TypeScript/JavaScript with `export default { … }`',
    );
  }
  let raw = mod.default;
  // a CommonJS-style module seen through ESM interop nests its default once more
  if (raw && typeof raw === 'object' && 'default' in raw && Object.keys(raw).length === 1) raw = (raw as { default: unknown }).default;
  if (typeof raw === 'function') raw = await (raw as () => unknown)();
  if (raw === undefined) throw usageError(`${file}: no default export`, 'write `export default { migrations: "db/migrations", … }`');
  return raw;
}

export function validate(raw: unknown, source: string): RunConfig {
  const parsed = RunConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const nested = issue.path[0] === 'budgets';
    throw usageError(
      `${source}: ${nested ? 'budgets: ' : ''}unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
      `known keys: ${Object.keys(nested ? BudgetsConfigSchema.shape : RunConfigSchema.shape).join(', ')}`,
    );
  }
  throw usageError(
    `${source}: ${where}: ${
      z
        .prettifyError(new z.ZodError([issue]))
        .replace(/^✖ /, '')
        .split('\n')[0]
    }`,
  );
}

/** Merge file and flags (flags win) and resolve defaults into a plan. */
export function resolvePlan(file: RunConfig, flags: RunConfig): RehearsalPlan {
  const c: RunConfig = { ...file, ...stripUndefined(flags) };
  if (c.dump && c.fixture) throw usageError('--dump and --fixture both given', 'choose one source of data');
  if (c.example && c.dump) throw usageError('--example and --dump both given', '--example loads the bundled shop dataset');
  if (c.empty) emptyChecks(c);

  const synthesis = synthesisSpec(c);
  const fixture = c.fixture ?? (c.example && !c.dump && !synthesis ? EXAMPLE.fixture : undefined);
  const load: LoadSpec = synthesis
    ? synthesis
    : c.dump
      ? { kind: 'dump', path: c.dump }
      : fixture
        ? { kind: 'fixture', name: fixture, scale: c.scale ?? EXAMPLE.scale, seed: c.seed ?? 42 }
        : { kind: 'none' };
  if (!c.workload && !c.workloadFrom && !c.replayLog && (c.sampleMs !== undefined || c.warmup !== undefined || c.cooldown !== undefined)) {
    throw usageError('--sample-ms, --warmup and --cooldown apply to --workload and --replay-log only');
  }
  if (!c.replayLog && (c.replayDatabase !== undefined || c.replaySpeed !== undefined || c.replayByApplication !== undefined))
    throw usageError('--replay-database, --replay-speed and --replay-by-application apply to --replay-log only');
  if (c.workload && c.workloadFrom)
    throw usageError('--workload and --workload-from both given', 'give the workload file, or the statistics file to derive one from');
  if (c.scale !== undefined && !fixture) throw usageError('--scale applies to --fixture only');

  const folder = c.migrations ?? (c.example && !c.migrateCommand ? relativeIfInside(EXAMPLE.migrations) : undefined);
  if (!folder && !c.migrateCommand)
    throw usageError(
      'no migrations to rehearse',
      'pass --migrations DIR (or --example for the bundled example, or --migrate-command to run your migration tool)',
    );
  if (c.migrateCommand) commandModeChecks(c);
  if (c.suggest && c.migrateCommand) throw usageError('--suggest rewrites the migration files and replays them; it does not combine with --migrate-command');

  const provider = c.provider ?? (c.databaseUrl ? 'url' : 'embedded');
  if (provider === 'url' && !c.databaseUrl) throw usageError('--provider url needs --database-url');
  if (provider !== 'url' && c.databaseUrl) throw usageError('--database-url is for --provider url');
  if (provider !== 'url' && (c.keep || c.useExistingDatabase)) {
    throw usageError(`--${c.keep ? 'keep' : 'use-existing-database'} is for --provider url`);
  }
  if (provider !== 'container' && (c.image || c.containerNetwork)) throw usageError('--image and --container-network are for --provider container');
  if (provider === 'container' && c.postgres !== undefined && c.image)
    throw usageError('give --postgres or --image, not both', '--postgres 16 means --image postgres:16');
  if (c.useExistingDatabase && load.kind !== 'none') {
    throw usageError(
      '--use-existing-database works on the data already in that database',
      'drop --dump/--fixture, or drop --use-existing-database to load into a scratch database',
    );
  }
  let settings: Record<string, string>;
  try {
    settings = Array.isArray(c.pgSetting) ? parseSettingFlags(c.pgSetting) : (c.pgSetting ?? {});
  } catch (err) {
    throw usageError((err as Error).message);
  }

  if (c.budgetsOn && c.budgetsOn !== 'measured' && !c.predictFor)
    throw usageError(`--budgets-on ${c.budgetsOn} needs --predict-for`, 'give the statistics file the predictions are for: --predict-for prod-stats.json');
  if (c.predictFractions && !c.predictFor) throw usageError('predictFractions applies to --predict-for only');

  return {
    provision: {
      provider,
      ...(c.postgres !== undefined ? { postgresMajor: c.postgres } : {}),
      ...(c.image ? { image: c.image } : {}),
      ...(c.containerNetwork ? { containerNetwork: c.containerNetwork } : {}),
      settings,
      ...(c.databaseUrl ? { databaseUrl: c.databaseUrl } : {}),
      keep: c.keep ?? false,
      useExistingDatabase: c.useExistingDatabase ?? false,
    },
    load,
    cache: {
      mode: c.cache === undefined ? (process.env.PG_REHEARSE_NO_CACHE ? 'never' : 'auto') : c.cache ? 'always' : 'never',
      ...(c.cacheDir ? { dir: c.cacheDir } : {}),
    },
    migrations: { folder: folder ?? null, ...(c.from !== undefined ? { from: c.from } : {}) },
    ...(c.migrateCommand ? { migrateCommand: c.migrateCommand } : {}),
    traffic:
      c.workload || c.workloadFrom || c.replayLog
        ? {
            ...(c.workload ? { workload: c.workload } : {}),
            ...(c.workloadFrom ? { workloadFrom: c.workloadFrom } : {}),
            ...(c.replayLog
              ? {
                  replayLog: {
                    file: c.replayLog,
                    ...(c.replayDatabase ? { database: c.replayDatabase } : {}),
                    speed: c.replaySpeed ?? 1,
                    byApplication: c.replayByApplication ?? false,
                  },
                }
              : {}),
            sampleMs: c.sampleMs ?? 10,
            warmupMs: duration(c.warmup, 'warmup') ?? 2000,
            cooldownMs: duration(c.cooldown, 'cooldown') ?? 2000,
          }
        : null,
    timeouts: timeoutPolicy(c),
    inspect: { rollback: c.rollback ?? false, checkDrift: c.checkDrift ?? false, ...(c.expectSchema ? { expectSchema: c.expectSchema } : {}) },
    ...(c.predictFor ? { predict: { statsFile: c.predictFor, fractions: [...(c.predictFractions ?? DEFAULT_PREDICT_FRACTIONS)].sort((a, b) => a - b) } } : {}),
    outDir: c.out,
    ...(c.suggest ? { suggest: true } : {}),
    quiet: c.quiet ?? false,
    json: c.json ?? false,
    report: {
      formats: c.format !== undefined ? withJson(parseFormats(c.format, flags.format !== undefined ? '--format' : 'format')) : DEFAULT_FORMATS,
      ...(c.baseline ? { baseline: c.baseline } : {}),
      ...(c.reportUrl ? { reportUrl: c.reportUrl } : {}),
      budgets: resolveBudgets(file.budgets, flags.budgets),
      budgetsOn: c.budgetsOn ?? (c.predictFor ? 'both' : 'measured'),
      regression: resolveRegression(c.regressionThreshold, c.regressionMin),
    },
  };
}

/** --synthesize STATS with --schema FILE [--fraction F] [--seed N]: rows made from statistics. */
function synthesisSpec(c: RunConfig): LoadSpec | undefined {
  if (!c.synthesize) {
    if (c.schema) throw usageError('--schema applies to --synthesize', 'rehearse run --schema schema.sql --synthesize prod-stats.json');
    if (c.fraction !== undefined) throw usageError('--fraction applies to --synthesize');
    return undefined;
  }
  if (!c.schema)
    throw usageError('--synthesize needs --schema', 'the schema the rows are made for: pg_dump --schema-only --no-owner --no-privileges -f schema.sql');
  if (c.dump || c.fixture) throw usageError(`--synthesize and --${c.dump ? 'dump' : 'fixture'} both given`, 'choose one source of data');
  const fraction = c.fraction ?? 1;
  if (!(fraction > 0) || fraction > 1000)
    throw usageError(`--fraction ${fraction}: not a number above 0`, 'e.g. --fraction 0.01 for 1 % of the rows of the statistics');
  const seed = c.seed ?? 42;
  if (!Number.isSafeInteger(seed)) throw usageError(`--seed ${seed} is not a whole number`, 'e.g. --seed 42');
  return { kind: 'synthesize', schema: c.schema, stats: c.synthesize, fraction, seed };
}

/** --empty: a fresh install, the whole history on an empty database; no data source, nothing applied. */
function emptyChecks(c: RunConfig): void {
  const other = c.dump
    ? '--dump'
    : c.fixture
      ? '--fixture'
      : c.synthesize
        ? '--synthesize'
        : c.example
          ? '--example'
          : c.useExistingDatabase
            ? '--use-existing-database'
            : undefined;
  if (other) throw usageError(`--empty and ${other} both given`, '--empty replays the whole history on an empty database; drop one of them');
  if (c.from !== undefined) throw usageError('--empty replays the whole history; --from says part of it is applied', 'drop --from (or --empty)');
}

/** What command mode cannot do: the tool applies the migrations, not the replay. */
function commandModeChecks(c: RunConfig): void {
  if (c.rollback)
    throw usageError(
      '--rollback applies the down scripts of --migrations itself; it does not combine with --migrate-command',
      'rehearse the down command separately: --migrate-command "npx node-pg-migrate down"',
    );
  if (c.retries !== undefined || c.retryBackoff !== undefined)
    throw usageError(
      '--retries and --retry-backoff need the replay; with --migrate-command the tool decides about retries',
      '--lock-timeout still applies: it is passed to the tool in PGOPTIONS',
    );
  if (c.checkDrift && !c.migrations) throw usageError('--check-drift with --migrate-command needs --migrations DIR (the history to compare with)');
  if (c.from !== undefined && !c.migrations) throw usageError('--from applies to --migrations');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A path under the working directory is shown relative to it (shorter file:line in reports). */
function relativeIfInside(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** '2s', '500ms', '1m' → milliseconds; a usage error names the flag. */
function duration(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === null) throw usageError(`--${flag} ${value}: not a duration`, 'write it with a unit: 500ms, 2s, 1m');
  return ms;
}

function timeoutPolicy(c: RunConfig): TimeoutPolicy {
  const lockTimeoutMs = duration(c.lockTimeout, 'lock-timeout');
  const statementTimeoutMs = duration(c.statementTimeout, 'statement-timeout');
  const retryBackoffMs = duration(c.retryBackoff, 'retry-backoff');
  if ((c.retries !== undefined || retryBackoffMs !== undefined) && lockTimeoutMs === undefined) {
    throw usageError('--retries and --retry-backoff retry on lock_timeout: give --lock-timeout too');
  }
  return {
    ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
    ...(c.retries !== undefined ? { retries: c.retries } : {}),
    ...(retryBackoffMs !== undefined ? { retryBackoffMs } : {}),
  };
}

/** json is always written: listed first. */
function withJson(formats: OutputFormat[]): OutputFormat[] {
  return ['json', ...formats.filter((f) => f !== 'json')];
}
