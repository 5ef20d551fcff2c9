import { BUDGET_NAMES, BUDGETS_ON, PROVIDERS } from '../core/names.ts';
import { flag, oneOf, repeated, value, type OptionsOf } from './options.ts';

const DEFAULT_SNAPSHOT_DIRS = '$PG_REHEARSE_CACHE/snapshots or node_modules/.cache/pg-rehearse/snapshots';

/**
 * Every command's options, one table per command in the order the help lists them: commander's
 * options (and so the help) and the zod schema typing what a command receives are both built from
 * these tables (src/cli/options.ts).
 */

/** What counts as a regression: run --baseline and compare take the same two. */
const REGRESSION_OPTIONS = {
  regressionThreshold: value('--regression-threshold <pct>', 'a figure regressed when it grew more than this (default 50%)'),
  regressionMin: value('--regression-min <duration>', '… and by at least this much (default 25ms)'),
};

/** The container provider's image and network: run and prepare take the same two. */
const CONTAINER_OPTIONS = {
  image: value('--image <image>', 'container provider: the PostgreSQL image (default postgres:<--postgres or 17>)'),
  containerNetwork: value('--container-network <mode>', 'container provider: "host" for engines where port publishing is unavailable'),
};

/** `rehearse run`: its options, in the order the help lists them. */
export const RUN_OPTIONS = {
  example: flag('--example', 'rehearse the bundled shop example (dataset + migrations)'),
  dump: value('--dump <path>', 'a pg_dump archive or plain SQL file (.sql, .sql.gz); format detected from content'),
  fixture: value('--fixture <name>', 'generate a bundled synthetic dataset instead of a dump (shop)'),
  scale: value('--scale <n>', 'fixture size: number of orders for shop (default 30000)'),
  empty: flag('--empty', 'a fresh install: no dump or fixture, the whole migration history replayed on an empty database'),
  seed: value('--seed <n>', 'fixture or synthesis seed; the same seed gives the same data (default 42)'),
  synthesize: value(
    '--synthesize <stats.json>',
    "make rows of this statistics file's shape (rehearse stats) for the tables of --schema; no production row needed (docs/synthesis.md)",
  ),
  schema: value('--schema <schema.sql>', '--synthesize: the schema to fill (pg_dump --schema-only --no-owner --no-privileges)'),
  fraction: value('--fraction <f>', '--synthesize: rows = statistics × this (default 1; 0.01 for 1 %)'),
  migrations: value(
    '--migrations <dir>',
    'migration folder: NNN_name.sql, golang-migrate, Flyway, dbmate, Prisma, Drizzle, node-pg-migrate, diesel, sqlx, goose, sqitch, Liquibase formatted SQL or Atlas layout',
  ),
  cache: flag('--cache', 'always keep a snapshot of the loaded dataset (default: when loading took 30 s or more)'),
  // commander stores --no-cache as cache: false
  noCache: flag('--no-cache', 'neither clone a saved snapshot nor keep one: load the dataset afresh'),
  cacheDir: value('--cache-dir <dir>', `where snapshots are kept (default ${DEFAULT_SNAPSHOT_DIRS})`),
  migrateCommand: value(
    '--migrate-command <command>',
    'command mode: run your migration tool (through sh, with DATABASE_URL and PG* set) instead of the replay; its statements, locks and rewrites are sampled from outside',
  ),
  from: value('--from <version>', 'treat migrations up to and including this version as applied'),
  out: value('--out <dir>', 'where to write report.json (default reports/<timestamp>/)'),
  provider: oneOf('--provider <name>', 'where PostgreSQL runs: embedded (default), container (testcontainers), url (an existing server)', PROVIDERS),
  ...CONTAINER_OPTIONS,
  postgres: value('--postgres <major>', 'PostgreSQL major for the embedded server (default 17; others are installed on demand)'),
  pgSetting: repeated('--pg-setting <name=value>', 'server setting in force during the replay; repeat for more'),
  databaseUrl: value('--database-url <url>', 'an existing server (implies --provider url); the run works in a scratch database'),
  keep: flag('--keep', 'url provider: keep the scratch database at the end'),
  useExistingDatabase: flag('--use-existing-database', "url provider: replay in the URL's own database (changes it!)"),
  workload: value(
    '--workload <file>',
    'old and new application versions to run during the replay (YAML/JSON, docs/workload.md): latency, blocking, compatibility',
  ),
  workloadFrom: value(
    '--workload-from <prod-stats.json>',
    "derive the workload from production's statements (rehearse stats --window), written beside the report as workload.derived.yaml, and run it",
  ),
  sampleMs: value('--sample-ms <n>', 'how often the blocking sampler polls pg_stat_activity (default 10)'),
  warmup: value('--warmup <duration>', 'traffic before the first migration, the latency baseline (default 2s)'),
  cooldown: value('--cooldown <duration>', 'traffic after the last migration (default 2s)'),
  replayLog: value(
    '--replay-log <file>',
    "a captured PostgreSQL log (stderr with log_line_prefix '%m|%u|%d|%c|', csvlog or jsonlog; .gz too) replayed session by session at its timing during the migrations (docs/workload.md, Replaying a log)",
  ),
  replayDatabase: value('--replay-database <name>', "--replay-log: replay this database's statements (default: the one with most statements)"),
  replaySpeed: value('--replay-speed <f>', '--replay-log: F times the original speed; 0 = as fast as possible (default 1)'),
  replayByApplication: flag('--replay-by-application', '--replay-log: one app per application_name instead of one app "log"'),
  lockTimeout: value('--lock-timeout <duration>', 'run each statement with this lock_timeout (e.g. 2s), as production migrations should'),
  retries: value('--retries <n>', 'retry a transaction that hit lock_timeout this many times (default 0)'),
  retryBackoff: value('--retry-backoff <duration>', 'wait between retries (default 1s)'),
  statementTimeout: value('--statement-timeout <duration>', 'run each statement with this statement_timeout'),
  rollback: flag('--rollback', 'after the replay, apply the down migrations newest first and check they restore the starting schema'),
  checkDrift: flag('--check-drift', 'apply every migration to an empty database and compare with the rehearsed one (finds hand-made changes in production)'),
  expectSchema: value('--expect-schema <file.sql>', 'compare the final schema with the schema this SQL file creates'),
  suggest: flag(
    '--suggest',
    'rewrite the findings that can be rewritten mechanically into <out>/suggested/ (same layout), rehearse them on the same dataset and workload, report before vs after',
  ),
  format: value('--format <list>', 'what to write and print: json,md,html,junit,sarif,codequality,terminal (default json,terminal; json is always written)'),
  baseline: value('--baseline <report.json>', 'compare with an earlier report: per-statement deltas; a regression exits 1'),
  ...REGRESSION_OPTIONS,
  reportUrl: value('--report-url <url>', 'where readers find the files (e.g. the CI run page); the Markdown links it'),
  maxLockHold: value('--max-lock-hold <duration>', 'budget: longest hold of a lock that blocks reads or writes (default 1s; off)'),
  lockHoldMinRows: value('--lock-hold-min-rows <n>', 'budget: … on tables above this many rows (default 0)'),
  maxBlocked: value('--max-blocked <duration>', "budget: longest wait of an app query on a migration's lock (default 1s; off)"),
  maxStatement: value('--max-statement <duration>', 'budget: longest statement (default 5m; off)'),
  maxRewriteRows: value('--max-rewrite-rows <n>', 'budget: no rewrite of a table above this many rows (default 100000; off)'),
  maxP99Increase: value('--max-p99-increase <pct>', "budget: an app query's p99 over its baseline (default 100%; off)"),
  p99IncreaseMin: value('--p99-increase-min <duration>', 'budget: … ignoring increases under this (default 50ms)'),
  contractMigration: value('--contract-migration <id>', 'budget: the first contract migration; the old app must pass every state before it'),
  skipBudget: repeated('--skip-budget <name>', `switch a budget off (repeatable): ${BUDGET_NAMES.join(', ')}`),
  budgets: flag('--no-budgets', 'check no budget'),
  predictFor: value(
    '--predict-for <stats.json>',
    'predict each statement at the sizes of this statistics file (`rehearse stats`, or { "tables": { "public.orders": { "rows": 200000000 } } }); docs/predictions.md',
  ),
  budgetsOn: oneOf('--budgets-on <which>', 'check budgets on the measured figures, the predicted ones, or both (default: both with --predict-for)', BUDGETS_ON),
  config: value('--config <file>', 'config file (default: ./rehearse.config.json|yaml|ts if present)'),
  json: flag('--json', 'print report.json to stdout (the summary goes to stderr)'),
  quiet: flag('--quiet', 'no progress; only the summary (or the JSON)'),
};
export type RunOptions = OptionsOf<typeof RUN_OPTIONS>;

/** `rehearse report <report.json>` */
export const REPORT_OPTIONS = {
  format: value('--format <list>', "formats: json,md,html,junit,sarif,codequality,terminal (default: the run's own, else md,html,junit)"),
  out: value('--out <dir>', "where to write the files (default: the report's folder)"),
  quiet: flag('--quiet', 'do not list the files written'),
};
export type ReportOptions = OptionsOf<typeof REPORT_OPTIONS>;

/** `rehearse compare <old.json> <new.json>` */
export const COMPARE_OPTIONS = {
  ...REGRESSION_OPTIONS,
  config: value('--config <file>', 'read regressionThreshold / regressionMin from this config file'),
  json: flag('--json', 'print the comparison as JSON'),
};
export type CompareOptions = OptionsOf<typeof COMPARE_OPTIONS>;

/** `rehearse stats` */
export const STATS_OPTIONS = {
  databaseUrl: value(
    '--database-url <url>',
    'the database to read, in a read-only session (column statistics need SELECT on the tables: owner, GRANT or pg_read_all_data; docs/stats.md)',
  ),
  out: value('--out <file>', 'where to write the JSON (default: stdout)'),
  includeValues: flag('--include-values', 'also most_common_vals and histogram_bounds: ROW VALUES; the file says includesValues: true'),
  window: value(
    '--window <duration>',
    'watch the traffic this long: pg_stat_statements read at both ends, pg_stat_activity sampled (default 10s; docs/stats.md)',
  ),
  statements: flag('--statements', 'with the traffic window (the default)'),
  // commander stores --no-statements as statements: false
  noStatements: flag('--no-statements', 'catalog only: no traffic window (no pg_stat_statements, no pg_stat_activity profile)'),
};
export type StatsCommandOptions = OptionsOf<typeof STATS_OPTIONS>;

/** `rehearse workload`: a workload derived from a statistics file's traffic (docs/workload.md, "From production"). */
export const WORKLOAD_OPTIONS = {
  from: value('--from <prod-stats.json>', 'a statistics file with statements: rehearse stats --window'),
  out: value('--out <workload.yaml>', 'where to write the workload (default: stdout)'),
  coverage: value('--coverage <share>', 'keep the commonest statements until they make this share of calls (default 0.95)'),
  top: value('--top <n>', 'and at most this many'),
  scale: value('--scale <factor>', "multiply production's rates (and clients) by this (default 1)"),
  new: value(
    '--new <new-app.json>',
    "the new version's statements (rehearse capture): app new beside old, each at the rate of the production statement it matches, or --new-rate",
  ),
  newRate: value('--new-rate <n>', 'executions per second of a new statement that matches none of production (default 1)'),
};
export type WorkloadCommandOptions = OptionsOf<typeof WORKLOAD_OPTIONS>;

/** `rehearse doctor` */
export const DOCTOR_OPTIONS = {
  dump: value('--dump <path>', 'the dump a run would restore'),
  postgres: value('--postgres <major>', 'the PostgreSQL major a run would start'),
  provider: oneOf('--provider <name>', 'embedded (default), container or url', PROVIDERS),
  image: value('--image <image>', 'container provider: the image (default postgres:<--postgres or 17>)'),
  config: value('--config <file>', 'take dump, postgres, provider and image from this config file (default: ./rehearse.config.* if present)'),
  json: flag('--json', 'print the checks as JSON'),
};
export type DoctorCommandOptions = OptionsOf<typeof DOCTOR_OPTIONS>;

/** `rehearse cleanup` */
export const CLEANUP_OPTIONS = {
  databaseUrl: value('--database-url <url>', "also drop this server's rehearse_… scratch databases whose run is gone"),
  dryRun: flag('--dry-run', 'only list them'),
  json: flag('--json', 'print the list as JSON'),
};
export type CleanupOptions = OptionsOf<typeof CLEANUP_OPTIONS>;

/** `rehearse prepare`: the dataset options of run, and where the snapshot goes. */
export const PREPARE_OPTIONS = {
  dump: value('--dump <path>', 'a pg_dump archive or plain SQL file'),
  fixture: value('--fixture <name>', 'a bundled synthetic dataset (shop)'),
  scale: value('--scale <n>', 'fixture size'),
  seed: value('--seed <n>', 'fixture or synthesis seed (default 42)'),
  synthesize: RUN_OPTIONS.synthesize,
  schema: RUN_OPTIONS.schema,
  fraction: RUN_OPTIONS.fraction,
  provider: oneOf('--provider <name>', 'embedded (default), container or url', ['embedded', 'container', 'url'] as const),
  postgres: value('--postgres <major>', 'PostgreSQL major for the embedded server (container: the image postgres:<major>)'),
  ...CONTAINER_OPTIONS,
  databaseUrl: value('--database-url <url>', 'url provider: the server that keeps the template database'),
  cacheDir: value('--cache-dir <dir>', `embedded, container: where snapshots are kept (default ${DEFAULT_SNAPSHOT_DIRS})`),
  config: value('--config <file>', 'config file (default: ./rehearse.config.* if present)'),
  quiet: flag('--quiet', 'no progress'),
};
export type PrepareOptions = OptionsOf<typeof PREPARE_OPTIONS>;

/** `rehearse capture`: where the statements go, and the dataset, migrations and server as run takes them. */
export const CAPTURE_OPTIONS = {
  out: value('--out <file>', 'where to write the captured statements (default new-app.json)'),
  example: RUN_OPTIONS.example,
  dump: RUN_OPTIONS.dump,
  fixture: RUN_OPTIONS.fixture,
  scale: RUN_OPTIONS.scale,
  empty: RUN_OPTIONS.empty,
  seed: RUN_OPTIONS.seed,
  synthesize: RUN_OPTIONS.synthesize,
  schema: RUN_OPTIONS.schema,
  fraction: RUN_OPTIONS.fraction,
  migrations: value('--migrations <dir>', 'the migration folder: its pending migrations are applied before the command (the schema the new version runs on)'),
  from: RUN_OPTIONS.from,
  cache: RUN_OPTIONS.cache,
  noCache: RUN_OPTIONS.noCache,
  cacheDir: RUN_OPTIONS.cacheDir,
  provider: RUN_OPTIONS.provider,
  ...CONTAINER_OPTIONS,
  postgres: RUN_OPTIONS.postgres,
  pgSetting: RUN_OPTIONS.pgSetting,
  databaseUrl: value(
    '--database-url <url>',
    'an existing server that preloads pg_stat_statements (implies --provider url); the command works in a scratch database',
  ),
  keep: RUN_OPTIONS.keep,
  config: RUN_OPTIONS.config,
  quiet: flag('--quiet', "no progress (the command's own output is still passed through)"),
};
export type CaptureCommandOptions = OptionsOf<typeof CAPTURE_OPTIONS>;

/** `rehearse cache ls|rm|prune`: which snapshots (every subcommand takes these last). */
const CACHE_SCOPE = {
  cacheDir: value('--cache-dir <dir>', `the snapshot folder (default ${DEFAULT_SNAPSHOT_DIRS})`),
  databaseUrl: value('--database-url <url>', 'also the template databases (url provider) on this server'),
};
export type CacheScopeOptions = OptionsOf<typeof CACHE_SCOPE>;

export const CACHE_LS_OPTIONS = { json: flag('--json', 'as JSON'), ...CACHE_SCOPE };
export type CacheLsOptions = OptionsOf<typeof CACHE_LS_OPTIONS>;
export const CACHE_RM_OPTIONS = CACHE_SCOPE;
export const CACHE_PRUNE_OPTIONS = {
  maxSize: value('--max-size <size>', 'keep at most this much, e.g. 20GB'),
  olderThan: value('--older-than <age>', 'remove snapshots not used for this long, e.g. 7d'),
  ...CACHE_SCOPE,
};
export type CachePruneOptions = OptionsOf<typeof CACHE_PRUNE_OPTIONS>;
