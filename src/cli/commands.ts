import type { Command } from 'commander';
import { EXIT_CODES } from './help.ts';
import {
  CACHE_LS_OPTIONS,
  CAPTURE_OPTIONS,
  CACHE_PRUNE_OPTIONS,
  CACHE_RM_OPTIONS,
  CLEANUP_OPTIONS,
  COMPARE_OPTIONS,
  DOCTOR_OPTIONS,
  PREPARE_OPTIONS,
  REPORT_OPTIONS,
  RUN_OPTIONS,
  STATS_OPTIONS,
  WORKLOAD_OPTIONS,
} from './flags.ts';
import { defineCommand, registerCommand } from './options.ts';

/**
 * Every command as the help shows it: name, arguments, options, help text. What a command does is
 * in its own module (run.ts, report.ts, …), imported only when that command runs, so `--help` and
 * `--version` load neither PostgreSQL's parser, nor the providers, nor pg (docs/development.md).
 */

const RUN_EXAMPLES = `
Examples:
  $ rehearse run --example
      the bundled shop example: 30k orders, twelve migrations rehearsing the playbook cases, embedded PostgreSQL 17
  $ rehearse run --dump prod.dump --migrations db/migrations --out reports/today
      restore a pg_dump archive (custom, directory, tar, .sql or .sql.gz) and replay what is pending
  $ rehearse run --fixture shop --scale 1000000 --migrations db/migrations --postgres 16
  $ rehearse run --schema schema.sql --synthesize prod-stats.json --fraction 0.01 --migrations db/migrations
      production's shape without its rows: statistics from rehearse stats, schema from pg_dump --schema-only
  $ rehearse run --empty --migrations migrations
      a fresh install: every migration of the history (diesel, sqlx, goose, sqitch, Liquibase, Atlas, …) on an empty database
  $ rehearse run --database-url postgresql://me@db-staging/app --dump prod.dump --migrations db/migrations
      a scratch database rehearse_<timestamp> on that server, dropped at the end
  $ rehearse run --dump prod.dump --migrations db/migrations --pg-setting shared_buffers=4GB --pg-setting work_mem=64MB

  $ rehearse run --dump prod.dump --migrations db/migrations --format terminal,md,html,junit --baseline reports/last/report.json
      every format, budgets checked, compared with last night's report
  $ rehearse run --example --max-lock-hold 500ms --max-rewrite-rows off
  $ rehearse run --dump sample.dump --migrations db/migrations --predict-for prod-stats.json
      each statement's duration and lock hold predicted at production's table sizes, calibrated
      by replaying on samples; budgets checked on the predictions too (docs/predictions.md)

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
  run: async (_args, opts) => (await import('./run.ts')).runCommand(opts),
});

const REPORT_EXAMPLES = `
Examples:
  $ rehearse report reports/2026-05-01T02-00-00/report.json --format md,html,junit --out out/
  $ rehearse report report.json --format terminal

The files are the same bytes the run wrote: report.md, report.html, junit.xml (report.json for json).`;

export const REPORT_COMMAND = defineCommand({
  name: 'report',
  description: 'render a saved report.json again: md, html, junit, terminal — the same bytes the run wrote',
  args: [['<report.json>', 'a report written by rehearse run']],
  options: REPORT_OPTIONS,
  help: REPORT_EXAMPLES,
  run: async ([file], opts) => (await import('./report.ts')).reportCommand(file!, opts),
});

const COMPARE_EXAMPLES = `
Examples:
  $ rehearse compare reports/last-night/report.json reports/tonight/report.json
  $ rehearse compare old.json new.json --regression-threshold 25 --regression-min 100ms --json

Statements are matched by migration id and statement index. A figure (duration, lock hold,
longest blocked wait, an app query's p99) regressed when it grew by more than the threshold
(default 50 %) and by at least the minimum (default 25ms); a statement, budget or compatibility
cell failing now and not before is a new failure. Exit code 1 when there is any, 0 otherwise.`;

export const COMPARE_COMMAND = defineCommand({
  name: 'compare',
  description: 'compare two reports: per-statement deltas of duration, lock hold and blocking, new failures; exit 1 on any regression',
  args: [
    ['<old.json>', 'the earlier report (last night)'],
    ['<new.json>', 'the later report (tonight)'],
  ],
  options: COMPARE_OPTIONS,
  help: COMPARE_EXAMPLES,
  run: async ([oldFile, newFile], opts) => (await import('./compare.ts')).compareCommand(oldFile!, newFile!, opts),
});

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
  run: async (_args, opts) => (await import('./doctor.ts')).doctorCommand(opts),
});

const STATS_HELP = `
Examples:
  $ rehearse stats --database-url postgresql://readonly@prod/app --out prod-stats.json
  $ pg_dump --schema-only --no-owner --no-privileges -f schema.sql postgresql://readonly@prod/app
  $ rehearse run --schema schema.sql --synthesize prod-stats.json --fraction 0.01 --migrations db/migrations
  $ rehearse stats --database-url postgresql://readonly@prod/app --window 60s --out prod-stats.json
  $ rehearse workload --from prod-stats.json --out workload.yaml

The catalog (pg_class, pg_stat_all_tables, pg_index, pg_stats) in one read-only transaction; then,
over --window (default 10s), the traffic: pg_stat_statements read at both ends (normalized texts,
never a value; needs the extension and pg_read_all_stats, else one warning and the rest written)
and pg_stat_activity sampled (connections, open and idle-in-transaction durations).`;

export const STATS_COMMAND = defineCommand({
  name: 'stats',
  description:
    "read a database's shape from its catalog — rows, sizes, indexes, per-column null fraction, distinct count, width — and, over a window, its traffic (pg_stat_statements, pg_stat_activity), without a row value (docs/stats.md)",
  options: STATS_OPTIONS,
  help: STATS_HELP,
  run: async (_args, opts) => (await import('./stats.ts')).statsCommand(opts),
});

const WORKLOAD_HELP = `
Examples:
  $ rehearse stats --database-url postgresql://readonly@prod/app --window 60s --out prod-stats.json
  $ rehearse workload --from prod-stats.json --out workload.yaml
  $ rehearse workload --from prod-stats.json --coverage 0.99 --top 50 --scale 2 --out workload.yaml
  $ rehearse run --dump prod.dump --migrations db/migrations --workload-from prod-stats.json
      the same, derived on the fly; the YAML is written beside the report

App old is production: its commonest statements (until --coverage of the calls), each at its
production rate, on as many clients as production had connections; background transactions from
the longest transactions seen open. Parameters are bound from the parse tree (col = $1, IN,
BETWEEN, ANY → values sampled from that column; LIMIT from rows per call; written columns from
their type, fresh where a unique index would reject a repeat). A statement that cannot be bound is
listed at the end of the file with the reason.`;

export const WORKLOAD_COMMAND = defineCommand({
  name: 'workload',
  description: "derive a workload file from production's statements and transactions (rehearse stats --window): docs/workload.md",
  options: WORKLOAD_OPTIONS,
  help: WORKLOAD_HELP,
  run: async (_args, opts) => (await import('./workload.ts')).workloadCommand(opts),
});

const CAPTURE_HELP = `
Examples:
  $ rehearse capture --out new-app.json --dump prod.dump --migrations db/migrations -- npm test
      the new version's test suite against a scratch database of the dataset at the migrated schema
  $ rehearse capture --example -- node smoke.js
  $ rehearse workload --from prod-stats.json --new new-app.json --out workload.yaml
      old (production's statements) and new (the captured ones, at the rate of the production
      statement each matches, or a stated default) in one workload (docs/workload.md)

The command gets DATABASE_URL and PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; its output is
passed through. pg_stat_statements records what it sends (the embedded server preloads it; a
--database-url server must). The file holds normalized texts ($1, $2, …) only: no row value.

Exit codes: 0 statements captured; 1 the command failed (the file is still written with what it
sent) or sent no statement, or a migration failed; 2 bad input (no command after --, command not
found, bad flags); 3 infrastructure (the server, pg_stat_statements unavailable); 130 interrupted.`;

export const CAPTURE_COMMAND = defineCommand({
  name: 'capture',
  description:
    "run the new version's command (its test suite) against a scratch database at the migrated schema and record the statements it sends, for rehearse workload --new",
  args: [['[command...]', 'the command to run, after --']],
  options: CAPTURE_OPTIONS,
  help: CAPTURE_HELP,
  // a variadic argument arrives as one array
  run: async (args, opts) => (await import('./capture.ts')).captureCommand((args as unknown as (string | string[])[]).flat(), opts),
});

export const CLEANUP_COMMAND = defineCommand({
  name: 'cleanup',
  description:
    'remove what runs that ended abruptly (kill -9, OOM) left: servers and their data directories, containers, scratch databases; never what a live run owns',
  options: CLEANUP_OPTIONS,
  help: `
Only what carries a pg-rehearse owner mark (pid + start time + host) whose process is gone is
removed; a live run's server, another host's, and anything unmarked are left alone. Every run
does the same sweep at its start; rehearse doctor lists leftovers.

Exit codes: 0 done, 3 something could not be removed, 2 bad flags.`,
  run: async (_args, opts) => (await import('./cleanup.ts')).cleanupCommand(opts),
});

export const PREPARE_COMMAND = defineCommand({
  name: 'prepare',
  description: 'load the dataset (--dump, --fixture or --synthesize, as for run) and save its snapshot, so that later runs start from a clone',
  options: PREPARE_OPTIONS,
  help:
    '\nExamples:\n  $ rehearse prepare --dump prod.dump && rehearse run --dump prod.dump --migrations a/ && rehearse run --dump prod.dump --migrations b/\n' +
    '  $ rehearse prepare --schema schema.sql --synthesize prod-stats.json --fraction 0.1   # runs of the same schema, statistics, fraction and seed clone it',
  run: async (_args, opts) => (await import('./snapshot.ts')).prepareCommand(opts),
});

export const CACHE_LS_COMMAND = defineCommand({
  name: 'ls',
  description: 'list snapshots: key, source, size, age, last use, where',
  options: CACHE_LS_OPTIONS,
  run: async (_args, opts) => (await import('./snapshot.ts')).cacheLsCommand(opts),
});

export const CACHE_RM_COMMAND = defineCommand({
  name: 'rm',
  description: 'remove the snapshot of a key (or a unique prefix of it)',
  args: [['<key>', 'a key as cache ls lists it, or a unique prefix of it']],
  options: CACHE_RM_OPTIONS,
  run: async ([key], opts) => (await import('./snapshot.ts')).cacheRmCommand(key!, opts),
});

export const CACHE_PRUNE_COMMAND = defineCommand({
  name: 'prune',
  description: 'remove unfinished snapshots left by killed runs, then the least recently used beyond --max-size or unused for --older-than',
  options: CACHE_PRUNE_OPTIONS,
  run: async (_args, opts) => (await import('./snapshot.ts')).pruneCommand(opts),
});

export function addSnapshotCommands(program: Command): void {
  registerCommand(program, PREPARE_COMMAND);
  const cache = program.command('cache').description('list and remove saved dataset snapshots (docs/snapshots.md)');
  registerCommand(cache, CACHE_LS_COMMAND);
  registerCommand(cache, CACHE_RM_COMMAND);
  registerCommand(cache, CACHE_PRUNE_COMMAND);
}
