import { performance } from 'node:perf_hooks';
import { sweepAtStart } from './cleanup/index.ts';
import { interrupted, sleepUnlessInterrupted } from './core/cleanup.ts';
import type { RehearsalPlan } from './config/index.ts';
import { ExitCode, RehearseError, describeError, infraError } from './core/errors.ts';
import { asServerFault, diskFullNote, firstServerFault } from './core/server-faults.ts';
import { runRoot } from './ownership/index.ts';
import { detectDumpFormat } from './load/index.ts';
import { ensureTrackingTable, readMigrations } from './migrations/index.ts';
import type { Instance } from './provision/index.ts';
import { provisionDataset } from './snapshot/index.ts';
import { checkDrift, compareWithExpected, rehearseRollback } from './inspect/index.ts';
import { startSampler, type Sampler } from './observe/index.ts';
import { addImpact, attributeBlocking, checkStatsTables, downId, runPredictions, startCalibration, statementKey, type Calibration } from './analyze/index.ts';
import { asMigrationBackends, checkCommand, replay, runMigrateCommand, type MigrationTrace } from './replay/index.ts';
import {
  AFTER,
  checkWorkloadSyntax,
  compatibilityMatrix,
  connectionsNeeded,
  describeNeed,
  openProber,
  phaseName,
  readWorkload,
  startTraffic,
  type ProbeResult,
  type Prober,
  type TrafficRun,
} from './traffic/index.ts';
import { diffSchemas, introspect, schemaHazards } from './schema/index.ts';
import { readStatsFile } from './stats/index.ts';
import { analyzeFindings } from './report/index.ts';
import { emptyReport, reportMigrations, summarize, type Report } from './report/index.ts';
import type { Logger } from './core/log.ts';
import { TOOL_VERSION } from './core/version.ts';

export interface RehearsalOutcome {
  report: Report;
  exitCode: number;
  /** for the caller to run once the report is written: readies the next run's clone of the dataset (url snapshots) */
  afterwards?: () => Promise<void>;
}

/**
 * The one place that knows the order of the stages:
 * check inputs → provision → load → find pending → (traffic, sampler, probes) → replay or command
 * → schema diff, expected schema, drift, rollback → attribution → report.
 * Whatever happens, traffic and server are stopped and a report (possibly partial) is returned.
 */
export async function rehearse(plan: RehearsalPlan, log: Logger, argv: string[] = []): Promise<RehearsalOutcome> {
  const t0 = performance.timeOrigin + performance.now();
  const report = emptyReport(argv, TOOL_VERSION, t0);
  let instance: Instance | undefined;
  let traffic: TrafficRun | undefined;
  let sampler: Sampler | undefined;
  let calibration: Calibration | undefined;
  let prober: Prober | undefined;
  let exitCode: number = ExitCode.infrastructure;
  let afterwards: (() => Promise<void>) | undefined;
  try {
    // Check the inputs first: a syntax error or a missing dump should not cost a server start.
    const folder = plan.migrations.folder;
    if (folder) await readMigrations(folder, {});
    if (plan.migrateCommand) await checkCommand(plan.migrateCommand);
    if (plan.load.kind === 'dump') await detectDumpFormat(plan.load.path);
    if (plan.load.kind === 'synthesize') {
      await readStatsFile(plan.load.stats);
      await detectDumpFormat(plan.load.schema);
    }
    const workload = plan.traffic ? await readWorkload(plan.traffic.workload) : null;
    const stats = plan.predict ? await readStatsFile(plan.predict.statsFile) : null;
    if (workload) await checkWorkloadSyntax(workload);

    // what earlier runs left whose owner is gone (kill -9, OOM): their servers, folders, scratch databases
    await sweepAtStart(log, plan.provision.provider === 'url' && !plan.provision.useExistingDatabase ? plan.provision.databaseUrl : undefined);
    // a server the run starts gets max_connections for the workload; a url server must have room
    const need = workload ? connectionsNeeded(workload) : null;
    const provisionOptions = { ...plan.provision, ...(need ? { connections: { total: need.total, text: describeNeed(need) } } : {}) };
    // provision + load, or a clone of the dataset's snapshot (src/snapshot)
    // the server is named in the report as soon as it is up: a load that fails leaves a report saying where
    const describe = (up: Instance) => ({ version: up.version, major: up.major, provider: up.provider, settings: {} });
    const prepared = await provisionDataset(provisionOptions, plan.load, plan.cache ?? { mode: 'never' }, log, (up) => {
      report.postgres = describe(up);
    });
    instance = prepared.instance;
    afterwards = prepared.afterwards;
    report.postgres = describe(instance);
    report.dataset = prepared.dataset;

    // command mode without --migrations: the tool knows its migrations, nothing to read here
    const set = folder
      ? await readMigrations(folder, { url: instance.url, ...(plan.migrations.from !== undefined ? { from: plan.migrations.from } : {}) })
      : null;
    const pending = set?.migrations.filter((m) => m.pending) ?? [];
    let createdTracking: { schema: string } | undefined;
    if (set) {
      report.migrationSource = {
        folder: set.folder,
        format: set.format,
        trackingTable: set.trackingTable,
        from: plan.migrations.from ?? null,
        total: set.migrations.length,
        alreadyApplied: set.migrations.filter((m) => !m.pending).map((m) => m.id),
      };
      log.info(
        `${pending.length} pending of ${set.migrations.length} migrations (${set.format}${set.trackingTable ? `, tracked in ${set.trackingTable}` : ''})`,
      );
      // histories refer to the tool's own table: it exists before the replay, as the tool makes it
      // (in command mode the tool creates its own)
      const created = plan.migrateCommand ? null : await ensureTrackingTable(instance.url, set.format, set.project);
      // sqitch and Atlas keep their tables in a schema of their own
      if (created?.includes('.') && !created.startsWith('drizzle.')) createdTracking = { schema: created.split('.')[0]! };
      if (created) log.info(`created ${created} as ${set.format} creates it (the replay records no rows in it)`);
    }

    const before = await introspect(instance.url);
    await instance.prepareForReplay();
    report.postgres.settings = await instance.settingsInForce();
    // predictions: the statistics must name tables of this database; the calibration clones it
    // now, before the replay changes it and before traffic connects (docs/predictions.md)
    const predictNotes: string[] = [];
    if (plan.predict && stats) {
      checkStatsTables(stats, plan.predict.statsFile, report.dataset?.tables ?? []);
      if (!plan.migrateCommand && pending.length && plan.predict.fractions.length) {
        calibration = await startCalibration(instance.url, log).catch((err) => {
          log.warn(`predictions: cannot clone the rehearsal database for calibration: ${describeError(err)}`);
          predictNotes.push(`no calibration: the rehearsal database could not be cloned (${describeError(err)})`);
          return undefined;
        });
      }
    }

    const url = instance.url;
    const probes = new Map<string, ProbeResult[]>();
    const states = ['initial'];
    if (workload && plan.traffic) {
      // prepared apps are probed on connections kept from state to state, as a long-lived pool's
      prober = await openProber(url, workload);
      probes.set('initial', await prober.probe());
      sampler = await startSampler(url, { sampleMs: plan.traffic.sampleMs, log });
      traffic = await startTraffic(url, workload, { log, backgroundFrom: 'replay' });
      log.info(`traffic baseline for ${plan.traffic.warmupMs} ms`);
      await sleepUnlessInterrupted(plan.traffic.warmupMs);
      if (interrupted()) throw infraError('interrupted during the traffic baseline');
    }

    const replayOptions = {
      url,
      timeouts: plan.timeouts,
      log,
      onStatementStart: (id: string, index: number) => traffic?.markPhase(phaseName(id, index)),
      afterMigration: async (trace: MigrationTrace) => {
        if (!prober) return;
        probes.set(trace.id, await prober.probe());
        states.push(trace.id);
      },
    };
    // command mode: the tool applies the migrations, its statements are captured from outside
    const command = plan.migrateCommand ? await runMigrateCommand({ ...replayOptions, command: plan.migrateCommand }) : null;
    const result = command ?? (await replay({ ...replayOptions, migrations: pending }));
    report.migrations = reportMigrations(result.migrations);
    exitCode = result.ok ? ExitCode.ok : ExitCode.migrationFailed;
    // the disk full, the backend or server gone mid-migration: infrastructure (3), not a failed migration
    const fault = firstServerFault([...result.migrations]);
    if (fault) throw infraError(fault.message, fault.hint);

    const after = await introspect(instance.url);
    report.schemaDiff = diffSchemas(before, after);
    // the tracking table the replay created for the tool is the tool's, not the history's: no hazards of its
    report.schemaHazards = schemaHazards(after).filter((h) => !createdTracking || !h.object.includes(`:${createdTracking.schema}.`));
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
      await sleepUnlessInterrupted(plan.traffic.cooldownMs);
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

    if (plan.predict && stats) {
      const predicted = await runPredictions({
        measured: report.migrations,
        pending: command ? [] : pending,
        tables: report.dataset?.tables ?? [],
        stats,
        statsFile: plan.predict.statsFile,
        calibration,
        fractions: plan.predict.fractions,
        timeouts: plan.timeouts,
        log,
        notes: predictNotes,
      });
      for (const m of report.migrations)
        for (const s of m.statements) {
          const p = predicted.statements.get(statementKey(m.id, s.index));
          if (p) s.predicted = p;
        }
      report.prediction = predicted.summary;
    }
    // analysis of the measurements: each problem with its safe pattern and its evidence
    report.findings = await analyzeFindings(report);
  } catch (thrown) {
    // a stage's own connection refused or cut (the server gone mid-run): said as such
    // (once the server was up, a stage's own infrastructure error caused by the server is that too)
    const serverWasUp = instance !== undefined;
    const fault =
      thrown instanceof RehearseError
        ? serverWasUp && thrown.kind === 'infrastructure'
          ? (asServerFault(thrown.cause, 'mid-run') ?? thrown)
          : thrown
        : (asServerFault(thrown, 'mid-run') ?? thrown);
    // the embedded server's disk full shows as a crash or a failed restore: say it is the disk
    const infra = fault instanceof RehearseError && fault.kind === 'infrastructure' ? fault : null;
    const full = plan.provision.provider === 'embedded' && infra ? await diskFullNote(await runRoot(), infra.message) : null;
    const err =
      full && infra
        ? infraError(
            `${full}; ${infra.message}`,
            'give the data directory more room (PG_REHEARSE_RUN_ROOT or TMPDIR on a bigger disk; rehearse doctor --dump estimates the need)',
            infra,
          )
        : fault;
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
    await calibration?.drop().catch((err) => log.warn(`dropping the calibration database failed: ${describeError(err)}`));
    await prober?.close();
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
  return { report, exitCode, ...(afterwards && !interrupted() ? { afterwards } : {}) };
}
