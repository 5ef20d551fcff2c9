import fs from 'node:fs/promises';
import path from 'node:path';
import { sweepAtStart, sweptServer } from '../cleanup/index.ts';
import type { RehearsalPlan } from '../config/index.ts';
import { interrupted } from '../core/cleanup.ts';
import { ExitCode, RehearseError, describeError, infraError, usageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { maskUrl } from '../core/mask.ts';
import { asServerFault } from '../core/server-faults.ts';
import { checkWritableFile, ensureWritableDir } from '../core/writable.ts';
import { checkLoadInputs } from '../load/index.ts';
import { ensureTrackingTable, readMigrations } from '../migrations/index.ts';
import { withPreloadedLibrary, type Instance } from '../provision/index.ts';
import { replay } from '../replay/index.ts';
import { provisionDataset } from '../snapshot/index.ts';
import { STATS_KIND, STATS_VERSION, type StatsFile } from '../stats/index.ts';
import { checkCapturedCommand, describeCommand, runCapturedCommand, type CapturedCommand, type CommandOutcome } from './command.ts';
import { EXTENSION, readRecorded, startRecording, statementsPreloaded } from './statements.ts';

export interface CaptureRequest {
  /** the dataset, server and migrations, resolved as for `rehearse run` (its report part unused) */
  plan: RehearsalPlan;
  command: CapturedCommand;
  /** where the statements go (a statistics file with only its traffic section) */
  out: string;
  log: Logger;
}

export interface CaptureOutcome {
  exitCode: number;
  /** the file written, when statements were captured */
  file: StatsFile | null;
  command: CommandOutcome | null;
}

/**
 * `rehearse capture`: the new version's statements, sent by its own command (its test suite) to a
 * scratch database of the rehearsal's dataset at the migrated schema.
 *
 * check inputs → sweep → provision (pg_stat_statements preloaded) + load (or a snapshot clone) →
 * apply the pending migrations → CREATE EXTENSION + reset → the command → read → write; the server
 * is stopped whatever happens (the provider's exit clean-up and guardian cover signals and kill -9,
 * a watchdog the command's process group).
 *
 * Exit: 0 captured; 1 the command failed (the file is still written when it sent statements) or
 * sent none; 2 bad input (no command, not found, bad flags or migrations); 3 infrastructure
 * (the server, pg_stat_statements unavailable, a migration that does not apply); 130 interrupted.
 */
export async function capture(request: CaptureRequest): Promise<CaptureOutcome> {
  const { plan, command, out, log } = request;
  // the inputs first: a typo should not cost a server start
  await checkCapturedCommand(command);
  const folder = plan.migrations.folder;
  if (folder) await readMigrations(folder, {});
  await checkLoadInputs(plan.load);
  const problem = (await ensureWritableDir(path.dirname(path.resolve(out)))) ?? (await checkWritableFile(out));
  if (problem) throw usageError(`--out ${out}: ${problem}`, 'give a file in a folder you can write');
  const provider = plan.provision.provider;
  if (provider === 'url' && !(await statementsPreloaded(plan.provision.databaseUrl!))) {
    throw infraError(
      `${maskUrl(plan.provision.databaseUrl!)} does not load ${EXTENSION}: the statements cannot be recorded`,
      `add it to shared_preload_libraries (ALTER SYSTEM SET shared_preload_libraries = '${EXTENSION}', then restart; on a managed service, its parameter group), or capture on the embedded server (drop --database-url)`,
    );
  }

  await sweepAtStart(log, sweptServer(plan.provision));
  // a server the run starts preloads the extension; the url one was checked above
  const provision = provider === 'url' ? plan.provision : { ...plan.provision, settings: withPreloadedLibrary(plan.provision.settings, EXTENSION) };
  let instance: Instance | undefined;
  let afterwards: (() => Promise<void>) | undefined;
  try {
    const prepared = await provisionDataset(provision, plan.load, plan.cache ?? { mode: 'never' }, log);
    instance = prepared.instance;
    afterwards = prepared.afterwards;
    const url = instance.url;
    const failedMigration = await migrate(url, plan, log);
    if (failedMigration) {
      log.warn(failedMigration);
      return { exitCode: ExitCode.migrationFailed, file: null, command: null };
    }
    if (interrupted()) return { exitCode: ExitCode.interrupted, file: null, command: null };

    await startRecording(url);
    const startedAt = new Date().toISOString();
    const run = await runCapturedCommand(command, url, log);
    if (interrupted()) return { exitCode: ExitCode.interrupted, file: null, command: run };
    const shown = describeCommand(command);
    if (run.exitCode === 127 || run.exitCode === 126)
      throw usageError(
        `${shown}: exit ${run.exitCode} (${run.exitCode === 127 ? 'a command was not found' : 'a command is not executable'})`,
        'check the command and that what it runs is installed where it runs',
      );
    const recorded = await readRecorded(url, run.durationMs);
    const n = recorded.statements.length;
    const { utility, withConstants, unparsable } = recorded.skipped;
    const left = [utility && `${utility} utility`, withConstants && `${withConstants} carrying a constant`, unparsable && `${unparsable} unparsable`]
      .filter(Boolean)
      .join(', ');
    const failed = run.exitCode !== 0;
    const how = run.exitCode !== null ? `exit ${run.exitCode}` : `ended by ${run.signal ?? 'a signal'}`;
    if (n === 0) {
      log.warn(
        `${shown} ${failed ? `failed (${how}) and ` : ''}sent no statement to the rehearsal database${left ? ` (left out: ${left})` : ''}: nothing written to ${out}`,
      );
      log.info('  the command must connect with DATABASE_URL or the PG* variables it is given');
      return { exitCode: ExitCode.migrationFailed, file: null, command: run };
    }
    const file: StatsFile = {
      kind: STATS_KIND,
      version: STATS_VERSION,
      takenAt: new Date().toISOString(),
      server: { version: instance.version, major: instance.major },
      tables: {},
      traffic: { startedAt, windowMs: Math.max(1, run.durationMs), statements: recorded.statements, skipped: recorded.skipped },
    };
    await fs.writeFile(out, JSON.stringify(file, null, 2) + '\n');
    const summary = `${n} statement${n === 1 ? '' : 's'} captured in ${out}${left ? ` (left out: ${left})` : ''}`;
    if (failed) {
      log.warn(`${shown} failed (${how}); ${summary}: the statements it sent before failing`);
      return { exitCode: ExitCode.migrationFailed, file, command: run };
    }
    log.info(summary);
    return { exitCode: ExitCode.ok, file, command: run };
  } catch (err) {
    // the server gone mid-run is said as such
    if (instance && !(err instanceof RehearseError)) throw asServerFault(err, 'mid-run') ?? err;
    throw err;
  } finally {
    await instance?.stop().catch((err) => log.warn(`stopping the server failed: ${describeError(err)}`));
    // the server stopped: the next run's clone of the dataset (url snapshots), as run does after its report
    if (!interrupted()) await afterwards?.();
  }
}

/** The pending migrations applied as the replay applies them (the schema the new version runs on); a message when one fails. */
async function migrate(url: string, plan: RehearsalPlan, log: Logger): Promise<string | null> {
  const folder = plan.migrations.folder;
  if (!folder) return null;
  const set = await readMigrations(folder, { url, ...(plan.migrations.from !== undefined ? { from: plan.migrations.from } : {}) });
  const pending = set.migrations.filter((m) => m.pending);
  log.info(`${pending.length} pending of ${set.migrations.length} migrations (${set.format}): applying them, then the command`);
  await ensureTrackingTable(url, set.format, set.project);
  const result = await replay({ url, migrations: pending, timeouts: plan.timeouts, log });
  if (result.ok) return null;
  const failed = result.migrations.find((m) => m.status === 'failed');
  const bad = failed?.statements.find((s) => s.error);
  const where = bad?.error?.file ? `${bad.error.file}:${bad.error.line}: ` : '';
  return `migration ${failed?.id ?? '?'} failed: ${where}${bad?.error?.message ?? 'see above'}; the command runs on the migrated schema only, so nothing was captured (rehearse run says more)`;
}
