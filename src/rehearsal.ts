import { performance } from 'node:perf_hooks';
import type { RehearsalPlan } from './config/index.ts';
import { ExitCode, RehearseError, describeError } from './core/errors.ts';
import { detectDumpFormat, loadDataset } from './load/index.ts';
import { readMigrations } from './migrations/index.ts';
import { provision, type Instance } from './provision/index.ts';
import { checkDrift, compareWithExpected, rehearseRollback } from './inspect/index.ts';
import { startSampler, type Sampler } from './observe/index.ts';
import { addImpact, attributeBlocking, downId } from './analyze/index.ts';
import { asMigrationBackends, checkCommand, replay, runMigrateCommand, type MigrationTrace } from './replay/index.ts';
import { AFTER, compatibilityMatrix, phaseName, probeAll, readWorkload, startTraffic, type ProbeResult, type TrafficRun } from './traffic/index.ts';
import { diffSchemas, introspect, schemaHazards } from './schema/index.ts';
import { analyzeFindings } from './report/index.ts';
import { emptyReport, reportMigrations, summarize, type Report } from './report/index.ts';
import type { Logger } from './core/log.ts';
import { TOOL_VERSION } from './core/version.ts';
import { sleep } from './core/numbers.ts';

export interface RehearsalOutcome {
  report: Report;
  exitCode: number;
}

/**
 * The one place that knows the order of the stages:
 * check inputs → provision → load → find pending → (traffic, sampler, probes) → replay or command
 * → schema diff, expected schema, drift, rollback → attribution → report.
 * Whatever happens, traffic and server are stopped and a report (possibly partial) is returned.
 */
export async function rehearse(
  plan: RehearsalPlan,
  log: Logger,
  argv: string[] = [],
): Promise<RehearsalOutcome> {
  const t0 = performance.timeOrigin + performance.now();
  const report = emptyReport(argv, TOOL_VERSION, t0);
  let instance: Instance | undefined;
  let traffic: TrafficRun | undefined;
  let sampler: Sampler | undefined;
  let exitCode: number = ExitCode.infrastructure;
  try {
    // Check the inputs first: a syntax error or a missing dump should not cost a server start.
    const folder = plan.migrations.folder;
    if (folder) await readMigrations(folder, {});
    if (plan.migrateCommand) await checkCommand(plan.migrateCommand);
    if (plan.load.kind === 'dump') await detectDumpFormat(plan.load.path);
    const workload = plan.traffic ? await readWorkload(plan.traffic.workload) : null;

    instance = await provision(plan.provision, log);
    report.postgres = { version: instance.version, major: instance.major, provider: instance.provider, settings: {} };

    report.dataset = await loadDataset(instance.url, plan.load, log, { container: instance.container });

    // command mode without --migrations: the tool knows its migrations, nothing to read here
    const set = folder ? await readMigrations(folder, { url: instance.url, ...(plan.migrations.from !== undefined ? { from: plan.migrations.from } : {}) }) : null;
    const pending = set?.migrations.filter((m) => m.pending) ?? [];
    if (set) {
      report.migrationSource = {
        folder: set.folder,
        format: set.format,
        trackingTable: set.trackingTable,
        from: plan.migrations.from ?? null,
        total: set.migrations.length,
        alreadyApplied: set.migrations.filter((m) => !m.pending).map((m) => m.id),
      };
      log.info(`${pending.length} pending of ${set.migrations.length} migrations (${set.format}${set.trackingTable ? `, tracked in ${set.trackingTable}` : ''})`);
    }

    const before = await introspect(instance.url);
    await instance.prepareForReplay();
    report.postgres.settings = await instance.settingsInForce();

    const url = instance.url;
    const probes = new Map<string, ProbeResult[]>();
    const states = ['initial'];
    if (workload && plan.traffic) {
      probes.set('initial', await probeAll(url, workload));
      sampler = await startSampler(url, { sampleMs: plan.traffic.sampleMs, log });
      traffic = await startTraffic(url, workload, { log, backgroundFrom: 'replay' });
      log.info(`traffic baseline for ${plan.traffic.warmupMs} ms`);
      await sleep(plan.traffic.warmupMs);
    }

    const replayOptions = {
      url,
      timeouts: plan.timeouts,
      log,
      onStatementStart: (id: string, index: number) => traffic?.markPhase(phaseName(id, index)),
      afterMigration: async (trace: MigrationTrace) => {
        if (!workload) return;
        probes.set(trace.id, await probeAll(url, workload));
        states.push(trace.id);
      },
    };
    // command mode: the tool applies the migrations, its statements are captured from outside
    const command = plan.migrateCommand ? await runMigrateCommand({ ...replayOptions, command: plan.migrateCommand }) : null;
    const result = command ?? (await replay({ ...replayOptions, migrations: pending }));
    report.migrations = reportMigrations(result.migrations);
    exitCode = result.ok ? ExitCode.ok : ExitCode.migrationFailed;

    const after = await introspect(instance.url);
    report.schemaDiff = diffSchemas(before, after);
    report.schemaHazards = schemaHazards(after);
    if (plan.inspect.expectSchema) {
      report.expectedSchema = await compareWithExpected(instance.url, plan.inspect.expectSchema, after);
      if (!report.expectedSchema.matches) log.warn(`the final schema differs from ${plan.inspect.expectSchema}`);
    }
    if (plan.inspect.checkDrift && set) {
      // the history is all migrations; the rehearsed database is production plus the pending ones
      if (result.ok) report.drift = await checkDrift(instance.url, set, after, log);
      else log.warn('drift check skipped: a migration failed, so the rehearsed database is not the whole history');
    }
    // the downs run under the same traffic as the ups: phases and blocking are theirs, as '<id>:down'
    let downs: MigrationTrace[] = [];
    if (plan.inspect.rollback) {
      const applied = pending.filter((m) => result.migrations.find((t) => t.id === m.id)?.status === 'applied');
      const rollback = await rehearseRollback(instance.url, applied, before, log, (id, index) => traffic?.markPhase(phaseName(downId(id), index)));
      downs = rollback.migrations;
      report.rollback = { ...rollback, migrations: reportMigrations(rollback.migrations) };
      if (!rollback.restored && exitCode === ExitCode.ok) exitCode = ExitCode.migrationFailed;
    }

    if (workload && plan.traffic && traffic && sampler) {
      traffic.markPhase(AFTER);
      await sleep(plan.traffic.cooldownMs);
      const load = await traffic.stop();
      const samplerStats = sampler.stats();
      const intervals = command ? asMigrationBackends(await sampler.stop(), command.pids) : await sampler.stop();
      traffic = sampler = undefined;
      const attribution = attributeBlocking(intervals, [...result.migrations, ...downs.map((d) => ({ ...d, id: downId(d.id) }))]);
      report.workload = { ...load, file: workload.file, sampler: samplerStats };
      report.blocking = attribution.entries;
      addImpact(report.migrations, attribution.statements);
      if (report.rollback) addImpact(report.rollback.migrations, attribution.statements, downId);
      report.summary = summarize(report.migrations);
      report.compatibility = compatibilityMatrix(states, probes, workload.apps);
    }
    // analysis of the measurements: each problem with its safe pattern and its evidence
    report.findings = await analyzeFindings(report);
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
    // on an error path the traffic and the sampler may still run: stop them before the server
    await traffic?.stop().catch(() => undefined);
    await sampler?.stop().catch(() => undefined);
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
