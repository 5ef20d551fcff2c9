import { performance } from 'node:perf_hooks';
import type { RehearsalPlan } from './config/index.ts';
import { ExitCode, RehearseError, describeError } from './errors.ts';
import { detectDumpFormat, loadDataset } from './load/index.ts';
import { readMigrations } from './migrations/index.ts';
import { provision, type Instance } from './provision/index.ts';
import { checkDrift, compareWithExpected, rehearseRollback } from './inspect/index.ts';
import { replay } from './replay/index.ts';
import { diffSchemas, introspect, schemaHazards } from './schema/index.ts';
import { emptyReport, reportMigrations, summarize, type Report } from './report/index.ts';
import type { Logger } from './util/log.ts';
import { TOOL_VERSION } from './version.ts';

export interface RehearsalOutcome {
  report: Report;
  exitCode: number;
}

/**
 * The one place that knows the order of the stages:
 * read migrations → provision → load → find pending → replay → report.
 * Whatever happens, the server is stopped and a report (possibly partial) is returned.
 */
export async function rehearse(
  plan: RehearsalPlan,
  log: Logger,
  argv: string[] = [],
): Promise<RehearsalOutcome> {
  const t0 = performance.timeOrigin + performance.now();
  const report = emptyReport(argv, TOOL_VERSION, t0);
  let instance: Instance | undefined;
  let exitCode: number = ExitCode.infrastructure;
  try {
    // Check the inputs first: a syntax error or a missing dump should not cost a server start.
    await readMigrations(plan.migrations.folder, {});
    if (plan.load.kind === 'dump') await detectDumpFormat(plan.load.path);

    instance = await provision(plan.provision, log);
    report.postgres = { version: instance.version, major: instance.major, provider: instance.provider, settings: {} };

    report.dataset = await loadDataset(instance.url, plan.load, log);

    const set = await readMigrations(plan.migrations.folder, { url: instance.url, ...(plan.migrations.from !== undefined ? { from: plan.migrations.from } : {}) });
    const pending = set.migrations.filter((m) => m.pending);
    report.migrationSource = {
      folder: set.folder,
      format: set.format,
      trackingTable: set.trackingTable,
      from: plan.migrations.from ?? null,
      total: set.migrations.length,
      alreadyApplied: set.migrations.filter((m) => !m.pending).map((m) => m.id),
    };
    log.info(`${pending.length} pending of ${set.migrations.length} migrations (${set.format}${set.trackingTable ? `, tracked in ${set.trackingTable}` : ''})`);

    const before = await introspect(instance.url);
    await instance.prepareForReplay();
    report.postgres.settings = await instance.settingsInForce();

    const result = await replay({ url: instance.url, migrations: pending, log });
    report.migrations = reportMigrations(result.migrations);
    exitCode = result.ok ? ExitCode.ok : ExitCode.migrationFailed;

    const after = await introspect(instance.url);
    report.schemaDiff = diffSchemas(before, after);
    report.schemaHazards = schemaHazards(after);
    if (plan.inspect.expectSchema) {
      report.expectedSchema = await compareWithExpected(instance.url, plan.inspect.expectSchema, after);
      if (!report.expectedSchema.matches) log.warn(`the final schema differs from ${plan.inspect.expectSchema}`);
    }
    if (plan.inspect.checkDrift) {
      // the history is all migrations; the rehearsed database is production plus the pending ones
      if (result.ok) report.drift = await checkDrift(instance.url, set, after, log);
      else log.warn('drift check skipped: a migration failed, so the rehearsed database is not the whole history');
    }
    if (plan.inspect.rollback) {
      const applied = pending.filter((m) => result.migrations.find((t) => t.id === m.id)?.status === 'applied');
      const rollback = await rehearseRollback(instance.url, applied, before, log);
      report.rollback = { ...rollback, migrations: reportMigrations(rollback.migrations) };
      if (!rollback.restored && exitCode === ExitCode.ok) exitCode = ExitCode.migrationFailed;
    }
  } catch (err) {
    const known = err instanceof RehearseError;
    exitCode = known ? err.exitCode : ExitCode.infrastructure;
    report.run.error = {
      kind: known ? err.kind : 'internal',
      message: describeError(err),
      ...(known && err.hint ? { hint: err.hint } : {}),
    };
    if (!known) log.warn(`unexpected error: ${(err as Error)?.stack ?? String(err)}`);
  } finally {
    if (instance) {
      await instance.stop().catch((err) => log.warn(`stopping the server failed: ${describeError(err)}`));
    }
  }
  const t1 = performance.timeOrigin + performance.now();
  report.summary = summarize(report.migrations);
  report.run.finishedAt = new Date(t1).toISOString();
  report.run.durationMs = Math.round(t1 - t0);
  report.run.exitCode = exitCode;
  report.run.status = exitCode === ExitCode.ok ? 'passed' : exitCode === ExitCode.migrationFailed ? 'failed' : 'error';
  return { report, exitCode };
}
