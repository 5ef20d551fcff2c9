import { BUDGET_FLAG_KEYS, BUDGET_NAMES, budgetFlags, readConfigFile, resolvePlan, validate, type RunConfig } from '../config/index.ts';
import { interrupted, onExitCleanup } from '../core/cleanup.ts';
import { ExitCode } from '../core/errors.ts';
import { maskSecrets } from '../core/mask.ts';
import { asServerFault } from '../core/server-faults.ts';
import { checkProvisionPaths } from '../provision/index.ts';
import { createLogger } from '../core/log.ts';
import { PROVIDERS } from '../core/names.ts';
import { rehearse } from '../rehearsal.ts';
import { checkOutputs, defaultOutDir, finalizeReport, readReportFile, renderTerminal, renderVerdictLines, serializeReport, writeFormats } from '../report/index.ts';
import { EXIT_CODES } from './help.ts';
import { colorFor, flag, oneOf, defineCommand, repeated, shown, value, type OptionsOf } from './options.ts';

/** `rehearse run`: its options, in the order the help lists them. */
export const RUN_OPTIONS = {
  example: flag('--example', 'rehearse the bundled shop example (dataset + migrations)'),
  dump: value('--dump <path>', 'a pg_dump archive or plain SQL file (.sql, .sql.gz); format detected from content'),
  fixture: value('--fixture <name>', 'generate a bundled synthetic dataset instead of a dump (shop)'),
  scale: value('--scale <n>', 'fixture size: number of orders for shop (default 30000)'),
  seed: value('--seed <n>', 'fixture random seed; the same seed gives the same data (default 42)'),
  migrations: value('--migrations <dir>', 'migration folder: NNN_name.sql, golang-migrate, Flyway, dbmate, Prisma, Drizzle or node-pg-migrate layout'),
  migrateCommand: value('--migrate-command <command>', 'command mode: run your migration tool (through sh, with DATABASE_URL and PG* set) instead of the replay; its statements, locks and rewrites are sampled from outside'),
  from: value('--from <version>', 'treat migrations up to and including this version as applied'),
  out: value('--out <dir>', 'where to write report.json (default reports/<timestamp>/)'),
  provider: oneOf('--provider <name>', 'where PostgreSQL runs: embedded (default), container (testcontainers), url (an existing server)', PROVIDERS),
  image: value('--image <image>', 'container provider: the PostgreSQL image (default postgres:<--postgres or 17>)'),
  containerNetwork: value('--container-network <mode>', 'container provider: "host" for engines where port publishing is unavailable'),
  postgres: value('--postgres <major>', 'PostgreSQL major for the embedded server (default 17; others are installed on demand)'),
  pgSetting: repeated('--pg-setting <name=value>', 'server setting in force during the replay; repeat for more'),
  databaseUrl: value('--database-url <url>', 'an existing server (implies --provider url); the run works in a scratch database'),
  keep: flag('--keep', 'url provider: keep the scratch database at the end'),
  useExistingDatabase: flag('--use-existing-database', "url provider: replay in the URL's own database (changes it!)"),
  workload: value('--workload <file>', 'old and new application versions to run during the replay (YAML/JSON, docs/workload.md): latency, blocking, compatibility'),
  sampleMs: value('--sample-ms <n>', 'how often the blocking sampler polls pg_stat_activity (default 10)'),
  warmup: value('--warmup <duration>', 'traffic before the first migration, the latency baseline (default 2s)'),
  cooldown: value('--cooldown <duration>', 'traffic after the last migration (default 2s)'),
  lockTimeout: value('--lock-timeout <duration>', 'run each statement with this lock_timeout (e.g. 2s), as production migrations should'),
  retries: value('--retries <n>', 'retry a transaction that hit lock_timeout this many times (default 0)'),
  retryBackoff: value('--retry-backoff <duration>', 'wait between retries (default 1s)'),
  statementTimeout: value('--statement-timeout <duration>', 'run each statement with this statement_timeout'),
  rollback: flag('--rollback', 'after the replay, apply the down migrations newest first and check they restore the starting schema'),
  checkDrift: flag('--check-drift', 'apply every migration to an empty database and compare with the rehearsed one (finds hand-made changes in production)'),
  expectSchema: value('--expect-schema <file.sql>', 'compare the final schema with the schema this SQL file creates'),
  format: value('--format <list>', 'what to write and print: json,md,html,junit,terminal (default json,terminal; json is always written)'),
  baseline: value('--baseline <report.json>', 'compare with an earlier report: per-statement deltas; a regression exits 1'),
  regressionThreshold: value('--regression-threshold <pct>', 'a figure regressed when it grew more than this (default 50%)'),
  regressionMin: value('--regression-min <duration>', '… and by at least this much (default 25ms)'),
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
  config: value('--config <file>', 'config file (default: ./rehearse.config.json|yaml|ts if present)'),
  json: flag('--json', 'print report.json to stdout (the summary goes to stderr)'),
  quiet: flag('--quiet', 'no progress; only the summary (or the JSON)'),
};
export type RunOptions = OptionsOf<typeof RUN_OPTIONS>;

const RUN_EXAMPLES = `
Examples:
  $ rehearse run --example
      the bundled shop example: 30k orders, twelve migrations rehearsing the playbook cases, embedded PostgreSQL 17
  $ rehearse run --dump prod.dump --migrations db/migrations --out reports/today
      restore a pg_dump archive (custom, directory, tar, .sql or .sql.gz) and replay what is pending
  $ rehearse run --fixture shop --scale 1000000 --migrations db/migrations --postgres 16
  $ rehearse run --database-url postgresql://me@db-staging/app --dump prod.dump --migrations db/migrations
      a scratch database rehearse_<timestamp> on that server, dropped at the end
  $ rehearse run --dump prod.dump --migrations db/migrations --pg-setting shared_buffers=4GB --pg-setting work_mem=64MB

  $ rehearse run --dump prod.dump --migrations db/migrations --format terminal,md,html,junit --baseline reports/last/report.json
      every format, budgets checked, compared with last night's report
  $ rehearse run --example --max-lock-hold 500ms --max-rewrite-rows off

  $ rehearse run --dump prod.dump --migrate-command "npx node-pg-migrate up" --workload workload.yaml
      command mode: your migration tool applies the migrations (DATABASE_URL, PGHOST… and
      PGAPPNAME=rehearse/migration point it at the rehearsal database); every statement its
      connections run, the locks they hold and the rewrites are sampled from pg_stat_activity/pg_locks

What is measured, per statement: duration, every lock taken (PostgreSQL's mode names, read from
pg_locks), how long the locks were held (until the transaction ended), tables and indexes rewritten
(relfilenode changed), WAL written, rows affected. The report is <out>/report.json; a summary is printed.

Budgets (docs/budgets.md), on by default: --max-lock-hold 1s (locks that block reads or writes),
--max-blocked 1s (app query waits), --max-statement 5m, --max-rewrite-rows 100000,
--max-p99-increase 100%, the old app passing every state before the contract step, no invalid
index left. A failed budget exits 1; each violation names its migration, statement and file:line.
${EXIT_CODES}`;

export const RUN_COMMAND = defineCommand({
  name: 'run',
  description: 'restore or generate a dataset into a disposable PostgreSQL, replay the pending migrations, write the report',
  options: RUN_OPTIONS,
  help: RUN_EXAMPLES,
  run: (_args, opts) => runCommand(opts),
});

/** Budget flags become the `budgets` layer of the flags' config (flags override the file key by key). */
function runFlags(values: Omit<RunOptions, 'config'>): Record<string, unknown> {
  const budgets = budgetFlags(values);
  const skip = new Set<string>([...BUDGET_FLAG_KEYS, 'skipBudget', 'budgets']);
  const rest = Object.fromEntries(Object.entries(values).filter(([k]) => !skip.has(k)));
  return { ...rest, ...(budgets !== undefined ? { budgets } : {}) };
}

export async function runCommand(opts: RunOptions): Promise<number> {
  const { config: file } = await readConfigFile(opts.config);
  const { config: _c, ...flagValues } = opts;
  const pgSetting = flagValues.pgSetting;
  const flags: RunConfig = validate({ ...runFlags(flagValues), pgSetting: pgSetting.length ? pgSetting : undefined }, 'flags');
  const plan = resolvePlan(file, flags);
  const rp = plan.report!;
  // read the baseline first: a bad path should not cost a server start
  const baseline = rp.baseline ? { file: rp.baseline, report: (await readReportFile(rp.baseline)).report } : undefined;
  const log = createLogger({ quiet: plan.quiet });
  const outDir = plan.outDir ?? defaultOutDir();
  // every folder the run writes, checked before any server starts (exit 2 with the path and why)
  await checkOutputs(outDir, rp.formats);
  await checkProvisionPaths(plan.provision);
  // Ctrl-C / SIGTERM: the exit waits until the run has stopped its servers and written its report.
  let finished!: () => void;
  const written = new Promise<void>((resolve) => (finished = resolve));
  // hurried (a second Ctrl-C, or the grace period over while the report is still being written)
  const unregister = onExitCleanup(
    () => written,
    () => void (interrupted() && process.stderr.write(`interrupted: the report in ${outDir} was not saved\n`)),
  );
  // a connection of some stage that dies while idle (the server gone mid-run) emits 'error' with
  // no listener: the stage itself sees the failure and the run reports it; anything else is a bug
  if (!process.listeners('uncaughtException').includes(onUncaught)) process.on('uncaughtException', onUncaught);
  try {
    return await finishRun(await rehearse(plan, log, process.argv.slice(2)), plan, outDir, baseline);
  } finally {
    unregister();
    finished();
  }
}

function onUncaught(err: unknown): void {
  if (asServerFault(err, '')) return;
  process.stderr.write(maskSecrets(`internal error: ${(err as Error)?.stack ?? String(err)}\n`));
  process.exit(ExitCode.infrastructure);
}

async function finishRun(
  outcome: Awaited<ReturnType<typeof rehearse>>,
  plan: ReturnType<typeof resolvePlan>,
  outDir: string,
  baseline: { file: string; report: Awaited<ReturnType<typeof readReportFile>>['report'] } | undefined,
): Promise<number> {
  const rp = plan.report!;
  const { report } = outcome;
  let exitCode = outcome.exitCode;
  if (interrupted()) {
    exitCode = ExitCode.interrupted;
    Object.assign(report.run, {
      status: 'error',
      exitCode,
      error: { kind: 'interrupted', message: 'interrupted by a signal (Ctrl-C or SIGTERM) before the run finished; servers stopped' },
    });
  }

  // budgets, the baseline comparison and the verdict; then every format from the one report.json
  report.output = { dir: outDir, formats: rp.formats, ...(rp.reportUrl ? { reportUrl: rp.reportUrl } : {}) };
  exitCode = finalizeReport(report, { budgets: rp.budgets, ...(baseline ? { baseline } : {}), regression: rp.regression });
  let files: Awaited<ReturnType<typeof writeFormats>>;
  try {
    files = await writeFormats(report, outDir, rp.formats);
  } catch (err) {
    // the run is over: say what could not be saved and end (never wait on a folder)
    process.stderr.write(maskSecrets(`error: could not save the report in ${outDir}: ${(err as Error).message}\n`));
    if (report.run.error) process.stderr.write(maskSecrets(`the run had failed before: ${report.run.error.message}\n`));
    return ExitCode.infrastructure;
  }
  // a usage error, or any error before a server started: its message and hint, nothing else
  // (no empty summary of a run that did not happen); the report file is written all the same
  const usage = report.run.error && (report.run.error.kind === 'usage' || report.postgres === null) ? report.run.error : null;
  if (usage) {
    process.stderr.write(maskSecrets(`error: ${usage.message}\n${usage.hint ? `  ${usage.hint}\n` : ''}`));
    return exitCode;
  }
  const summary = (stream: NodeJS.WriteStream) => {
    const color = colorFor(stream);
    const tail = renderVerdictLines(report, { color });
    return renderTerminal(report, { color, width: stream.columns ?? 120 }) + (tail ? `\n${tail}` : '') + '\n';
  };
  const terminal = rp.formats.includes('terminal');
  if (plan.json) {
    process.stdout.write(serializeReport(report));
    if (!plan.quiet && terminal) process.stderr.write(summary(process.stderr));
  } else if (terminal) {
    process.stdout.write(summary(process.stdout));
  } else if (!plan.quiet) {
    process.stderr.write(renderVerdictLines(report, { color: colorFor(process.stderr) }) + '\n');
  }
  if (!plan.quiet) process.stderr.write(`report: ${files.map((f) => shown(f.file)).join(', ')}\n`);
  return exitCode;
}
