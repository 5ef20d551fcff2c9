import { performance } from 'node:perf_hooks';
import { sweepAtStart, sweptServer } from './cleanup/index.ts';
import { interrupted, sleepUnlessInterrupted } from './core/cleanup.ts';
import type { RehearsalPlan } from './config/index.ts';
import { ExitCode, RehearseError, describeError, infraError } from './core/errors.ts';
import { asServerFault, diskFullNote, firstServerFault } from './core/server-faults.ts';
import { runRoot } from './ownership/index.ts';
import { checkLoadInputs } from './load/index.ts';
import { ensureTrackingTable, readMigrations, type Migration, type MigrationSet } from './migrations/index.ts';
import type { Instance } from './provision/index.ts';
import { provisionDataset } from './snapshot/index.ts';
import { checkDrift, compareWithExpected, rehearseRollback } from './inspect/index.ts';
import { startSampler, type Sampler } from './observe/index.ts';
import {
  addImpact,
  addImpactAtProductionRate,
  attributeBlocking,
  checkStatsTables,
  downId,
  runPredictions,
  startCalibration,
  statementKey,
  tableKey,
  type Calibration,
} from './analyze/index.ts';
import { asMigrationBackends, checkCommand, replay, runMigrateCommand, type CommandResult, type MigrationTrace, type ReplayResult } from './replay/index.ts';
import {
  AFTER,
  compatibilityMatrix,
  connectionsNeeded,
  describeNeed,
  openProber,
  phaseName,
  readTraffic,
  startTraffic,
  logSource,
  workloadSource,
  type ProbeResult,
  type Prober,
  type TrafficRun,
  type TrafficSource,
  type Workload,
} from './traffic/index.ts';
import { diffSchemas, introspect, schemaHazards, type SchemaModel } from './schema/index.ts';
import { readStatsFile, type StatsFile } from './stats/index.ts';
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

/** What one rehearsal carries from step to step: the plan, the report being filled, and what is running. */
interface Run {
  plan: RehearsalPlan;
  log: Logger;
  report: Report;
  exitCode: number;
  /** checkInputs: the traffic (from every source, merged) and the statistics for predictions */
  workload: Workload | null;
  stats: StatsFile | null;
  instance?: Instance;
  afterwards?: () => Promise<void>;
  /** findPending: the migration folder as read, the pending migrations, the schema of a tracking table the run created */
  set: MigrationSet | null;
  pending: Migration[];
  createdTracking?: { schema: string };
  /** prepareServer: the schema before the replay; the predictions' calibration clone and notes */
  before?: SchemaModel;
  calibration?: Calibration;
  predictNotes: string[];
  /** startTraffic: running until stopTraffic */
  traffic?: TrafficRun;
  sampler?: Sampler;
  prober?: Prober;
  probes: Map<string, ProbeResult[]>;
  states: string[];
  /** applyMigrations */
  command: CommandResult | null;
  result?: CommandResult | ReplayResult;
  downs: MigrationTrace[];
}

/** One stage of the rehearsal: reads and fills the run. Adding a stage is one entry in STEPS. */
type Stage = (run: Run) => Promise<void>;

/**
 * The one place that knows the order of the stages:
 * check inputs → provision → load → find pending → (traffic, sampler, probes) → replay or command
 * → schema diff, expected schema, drift, rollback → attribution → predictions → impact at production's rate → findings → report.
 * Whatever happens, traffic and server are stopped and a report (possibly partial) is returned.
 */
const STEPS: readonly Stage[] = [
  checkInputs,
  provisionAndLoad,
  findPending,
  prepareServer,
  startTrafficAndProbes,
  applyMigrations,
  inspectSchema,
  rehearseDowns,
  stopTrafficAndAttribute,
  predict,
  atProductionRate,
  analyze,
];

export async function rehearse(plan: RehearsalPlan, log: Logger, argv: string[] = []): Promise<RehearsalOutcome> {
  const t0 = performance.timeOrigin + performance.now();
  const run: Run = {
    plan,
    log,
    report: emptyReport(argv, TOOL_VERSION, t0),
    exitCode: ExitCode.infrastructure,
    workload: null,
    stats: null,
    set: null,
    pending: [],
    predictNotes: [],
    probes: new Map(),
    states: ['initial'],
    command: null,
    downs: [],
  };
  try {
    for (const step of STEPS) await step(run);
  } catch (thrown) {
    await recordFailure(run, thrown);
  } finally {
    await stopEverything(run);
  }
  return finish(run, t0);
}

/** Check the inputs first: a syntax error or a missing dump should not cost a server start. */
async function checkInputs(run: Run): Promise<void> {
  const { plan, log } = run;
  const folder = plan.migrations.folder;
  if (folder) await readMigrations(folder, {});
  if (plan.migrateCommand) await checkCommand(plan.migrateCommand);
  await checkLoadInputs(plan.load);
  run.workload = await readTraffic(trafficSources(plan), log);
  run.stats = plan.predict ? await readStatsFile(plan.predict.statsFile) : null;
}

/** Every source of traffic the plan names (none: a rehearsal without traffic). */
function trafficSources(plan: RehearsalPlan): TrafficSource[] {
  const t = plan.traffic;
  if (!t) return [];
  return [...(t.workload ? [workloadSource(t.workload)] : []), ...(t.replayLog ? [logSource(t.replayLog.file, t.replayLog)] : [])];
}

/** Sweep what dead runs left, start the server (room for the traffic's connections), load the dataset or clone its snapshot. */
async function provisionAndLoad(run: Run): Promise<void> {
  const { plan, log, report, workload } = run;
  // what earlier runs left whose owner is gone (kill -9, OOM): their servers, folders, scratch databases
  await sweepAtStart(log, sweptServer(plan.provision));
  // a server the run starts gets max_connections for the workload; a url server must have room
  const need = workload ? connectionsNeeded(workload) : null;
  const provisionOptions = { ...plan.provision, ...(need ? { connections: { total: need.total, text: describeNeed(need) } } : {}) };
  // provision + load, or a clone of the dataset's snapshot (src/snapshot)
  // the server is named in the report as soon as it is up: a load that fails leaves a report saying where
  const describe = (up: Instance) => ({ version: up.version, major: up.major, provider: up.provider, settings: {} });
  const prepared = await provisionDataset(provisionOptions, plan.load, plan.cache ?? { mode: 'never' }, log, (up) => {
    report.postgres = describe(up);
  });
  run.instance = prepared.instance;
  run.afterwards = prepared.afterwards;
  report.postgres = describe(prepared.instance);
  report.dataset = prepared.dataset;
}

/** Which migrations are pending (command mode without --migrations: the tool knows, nothing to read). */
async function findPending(run: Run): Promise<void> {
  const { plan, log, report } = run;
  const url = run.instance!.url;
  const folder = plan.migrations.folder;
  const set = folder ? await readMigrations(folder, { url, ...(plan.migrations.from !== undefined ? { from: plan.migrations.from } : {}) }) : null;
  run.set = set;
  run.pending = set?.migrations.filter((m) => m.pending) ?? [];
  if (!set) return;
  report.migrationSource = {
    folder: set.folder,
    format: set.format,
    trackingTable: set.trackingTable,
    from: plan.migrations.from ?? null,
    total: set.migrations.length,
    alreadyApplied: set.migrations.filter((m) => !m.pending).map((m) => m.id),
  };
  log.info(
    `${run.pending.length} pending of ${set.migrations.length} migrations (${set.format}${set.trackingTable ? `, tracked in ${set.trackingTable}` : ''})`,
  );
  // histories refer to the tool's own table: it exists before the replay, as the tool makes it
  // (in command mode the tool creates its own)
  const created = plan.migrateCommand ? null : await ensureTrackingTable(url, set.format, set.project);
  // sqitch and Atlas keep their tables in a schema of their own
  if (created?.includes('.') && !created.startsWith('drizzle.')) run.createdTracking = { schema: created.split('.')[0]! };
  if (created) log.info(`created ${created} as ${set.format} creates it (the replay records no rows in it)`);
}

/** The schema before, the server's replay settings, and the predictions' calibration clone. */
async function prepareServer(run: Run): Promise<void> {
  const { plan, log, report, stats } = run;
  const instance = run.instance!;
  run.before = await introspect(instance.url);
  await instance.prepareForReplay();
  report.postgres!.settings = await instance.settingsInForce();
  // predictions: the statistics must name tables of this database; the calibration clones it
  // now, before the replay changes it and before traffic connects (docs/predictions.md)
  if (!plan.predict || !stats) return;
  checkStatsTables(stats, plan.predict.statsFile, report.dataset?.tables ?? []);
  if (plan.migrateCommand || !run.pending.length || !plan.predict.fractions.length) return;
  // the tool's own server may be restarted with production's settings scaled to each sample; never a --database-url one
  const restart = instance.provider !== 'url' && instance.restartWith ? instance.restartWith.bind(instance) : undefined;
  run.calibration = await startCalibration(instance.url, log, restart, Object.keys(stats.tables).map(tableKey)).catch((err) => {
    log.warn(`predictions: cannot clone the rehearsal database for calibration: ${describeError(err)}`);
    run.predictNotes.push(`no calibration: the rehearsal database could not be cloned (${describeError(err)})`);
    return undefined;
  });
}

/** Probe the initial state, start the sampler and the traffic, and let the baseline run for --warmup. */
async function startTrafficAndProbes(run: Run): Promise<void> {
  const { plan, log, workload } = run;
  if (!workload || !plan.traffic) return;
  const url = run.instance!.url;
  // prepared apps are probed on connections kept from state to state, as a long-lived pool's
  run.prober = await openProber(url, workload);
  run.probes.set('initial', await run.prober.probe());
  run.sampler = await startSampler(url, { sampleMs: plan.traffic.sampleMs, log });
  run.traffic = await startTraffic(url, workload, { log, backgroundFrom: 'replay' });
  log.info(`traffic baseline for ${plan.traffic.warmupMs} ms`);
  await sleepUnlessInterrupted(plan.traffic.warmupMs);
  if (interrupted()) throw infraError('interrupted during the traffic baseline');
}

/** Replay the pending migrations statement by statement (or run the migration command), probing after each. */
async function applyMigrations(run: Run): Promise<void> {
  const { plan, log, report } = run;
  const replayOptions = {
    url: run.instance!.url,
    timeouts: plan.timeouts,
    log,
    onStatementStart: (id: string, index: number) => run.traffic?.markPhase(phaseName(id, index)),
    afterMigration: async (trace: MigrationTrace) => {
      if (!run.prober) return;
      run.probes.set(trace.id, await run.prober.probe());
      run.states.push(trace.id);
    },
  };
  // command mode: the tool applies the migrations, its statements are captured from outside
  run.command = plan.migrateCommand ? await runMigrateCommand({ ...replayOptions, command: plan.migrateCommand }) : null;
  const result = run.command ?? (await replay({ ...replayOptions, migrations: run.pending }));
  run.result = result;
  report.migrations = reportMigrations(result.migrations);
  run.exitCode = result.ok ? ExitCode.ok : ExitCode.migrationFailed;
  // the disk full, the backend or server gone mid-migration: infrastructure (3), not a failed migration
  const fault = firstServerFault([...result.migrations]);
  if (fault) throw infraError(fault.message, fault.hint);
}

/** The schema after: its diff, hazards, the expected schema and drift. */
async function inspectSchema(run: Run): Promise<void> {
  const { plan, log, report, set, createdTracking } = run;
  const url = run.instance!.url;
  const after = await introspect(url);
  report.schemaDiff = diffSchemas(run.before!, after);
  // the tracking table the replay created for the tool is the tool's, not the history's: no hazards of its
  report.schemaHazards = schemaHazards(after).filter((h) => !createdTracking || !h.object.includes(`:${createdTracking.schema}.`));
  if (plan.inspect.expectSchema) {
    report.expectedSchema = await compareWithExpected(url, plan.inspect.expectSchema, after);
    if (!report.expectedSchema.matches) log.warn(`the final schema differs from ${plan.inspect.expectSchema}`);
  }
  if (plan.inspect.checkDrift && set) {
    // the history is all migrations; the rehearsed database is production plus the pending ones
    if (run.result!.ok) report.drift = await checkDrift(url, set, after, log);
    else log.warn('drift check skipped: a migration failed, so the rehearsed database is not the whole history');
  }
}

/** --rollback: the downs run under the same traffic as the ups; phases and blocking are theirs, as '<id>:down'. */
async function rehearseDowns(run: Run): Promise<void> {
  const { plan, log, report } = run;
  if (!plan.inspect.rollback) return;
  const applied = run.pending.filter((m) => run.result!.migrations.find((t) => t.id === m.id)?.status === 'applied');
  const rollback = await rehearseRollback(run.instance!.url, applied, run.before!, log, (id, index) => run.traffic?.markPhase(phaseName(downId(id), index)));
  run.downs = rollback.migrations;
  report.rollback = { ...rollback, migrations: reportMigrations(rollback.migrations) };
  if (!rollback.restored && run.exitCode === ExitCode.ok) run.exitCode = ExitCode.migrationFailed;
}

/** --cooldown of traffic, then stop it: the blocking attributed to migration statements, the compatibility matrix. */
async function stopTrafficAndAttribute(run: Run): Promise<void> {
  const { plan, report, workload, traffic, sampler } = run;
  if (!workload || !plan.traffic || !traffic || !sampler) return;
  traffic.markPhase(AFTER);
  await sleepUnlessInterrupted(plan.traffic.cooldownMs);
  const load = await traffic.stop();
  const samplerStats = sampler.stats();
  const intervals = run.command ? asMigrationBackends(await sampler.stop(), run.command.pids) : await sampler.stop();
  run.traffic = run.sampler = undefined;
  const attribution = attributeBlocking(intervals, [...run.result!.migrations, ...run.downs.map((d) => ({ ...d, id: downId(d.id) }))]);
  report.workload = { ...load, file: workload.file, sampler: samplerStats };
  report.blocking = attribution.entries;
  addImpact(report.migrations, attribution.statements);
  if (report.rollback) addImpact(report.rollback.migrations, attribution.statements, downId);
  report.summary = summarize(report.migrations);
  report.compatibility = compatibilityMatrix(run.states, run.probes, workload.apps);
}

/** --predict-for: each statement's duration and lock hold at production's size (docs/predictions.md). */
async function predict(run: Run): Promise<void> {
  const { plan, log, report, stats } = run;
  if (!plan.predict || !stats) return;
  // the probes are done; the calibration may restart the server under their connections
  await run.prober?.close();
  run.prober = undefined;
  const predicted = await runPredictions({
    measured: report.migrations,
    pending: run.command ? [] : run.pending,
    tables: report.dataset?.tables ?? [],
    stats,
    statsFile: plan.predict.statsFile,
    calibration: run.calibration,
    fractions: plan.predict.fractions,
    timeouts: plan.timeouts,
    log,
    notes: run.predictNotes,
  });
  for (const m of report.migrations)
    for (const s of m.statements) {
      const p = predicted.statements.get(statementKey(m.id, s.index));
      if (p) s.predicted = p;
    }
  report.prediction = predicted.summary;
}

/** A statistics file with traffic (--predict-for, --workload-from): each lock hold at production's rate. */
async function atProductionRate(run: Run): Promise<void> {
  const files = [run.plan.predict?.statsFile, run.plan.traffic?.workloadFrom].filter((f): f is string => f !== undefined);
  for (const file of files) {
    const stats = run.stats && file === run.plan.predict?.statsFile ? run.stats : await readStatsFile(file);
    if (stats.traffic?.statements?.length) return addImpactAtProductionRate(run.report.migrations, stats, file);
  }
}

/** Analysis of the measurements: each problem with its safe pattern and its evidence. */
async function analyze(run: Run): Promise<void> {
  run.report.findings = await analyzeFindings(run.report);
}

/** The error that stopped the run, in the report and the exit code. */
async function recordFailure(run: Run, thrown: unknown): Promise<void> {
  const { plan, log, report } = run;
  // a stage's own connection refused or cut (the server gone mid-run): said as such
  // (once the server was up, a stage's own infrastructure error caused by the server is that too)
  const serverWasUp = run.instance !== undefined;
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
  run.exitCode = known ? err.exitCode : ExitCode.infrastructure;
  report.run.error = {
    kind: known ? err.kind : 'internal',
    message: describeError(err),
    ...(known && err.hint ? { hint: err.hint } : {}),
  };
  if (!known) log.warn(`unexpected error: ${(err as Error)?.stack ?? String(err)}`);
}

/** On every path: the traffic and the sampler (they may still run on an error path) before the server. */
async function stopEverything(run: Run): Promise<void> {
  const { log } = run;
  await run.traffic?.stop().catch(() => undefined);
  await run.sampler?.stop().catch(() => undefined);
  await run.calibration?.drop().catch((err) => log.warn(`dropping the calibration database failed: ${describeError(err)}`));
  await run.prober?.close();
  if (run.instance) {
    await run.instance.stop().catch((err) => log.warn(`stopping the server failed: ${describeError(err)}`));
  }
}

/** The run's summary, times, exit code and status. */
function finish(run: Run, t0: number): RehearsalOutcome {
  const { report, exitCode, afterwards } = run;
  const t1 = performance.timeOrigin + performance.now();
  report.summary = summarize(report.migrations);
  report.run.finishedAt = new Date(t1).toISOString();
  report.run.durationMs = Math.round(t1 - t0);
  report.run.exitCode = exitCode;
  report.run.status = exitCode === ExitCode.ok ? 'passed' : exitCode === ExitCode.migrationFailed ? 'failed' : 'error';
  return { report, exitCode, ...(afterwards && !interrupted() ? { afterwards } : {}) };
}
