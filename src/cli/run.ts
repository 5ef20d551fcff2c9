import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUDGET_FLAG_KEYS, budgetFlags, readConfigFile, resolvePlan, validate, type RunConfig } from '../config/index.ts';
import { interrupted, onExitCleanup } from '../core/cleanup.ts';
import { ExitCode } from '../core/errors.ts';
import { maskSecrets } from '../core/mask.ts';
import { asServerFault } from '../core/server-faults.ts';
import { checkProvisionPaths } from '../provision/index.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { rehearse } from '../rehearsal.ts';
import { rehearseSuggestion } from '../suggest/index.ts';
import { terminalWidth } from '../core/terminal-width.ts';
import {
  checkOutputs,
  defaultOutDir,
  FORMAT_FILES,
  finalizeReport,
  readReportFile,
  renderTerminal,
  renderVerdictLines,
  serializeReport,
  writeFormats,
} from '../report/index.ts';
import { colorFor, shown } from './options.ts';
import { writeDerivedWorkload } from './workload.ts';
import type { RunOptions } from './flags.ts';

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
  // --workload-from: derived before any server starts (a file without statements: exit 2), written
  // beside the report, then run exactly as --workload <that file>
  if (plan.traffic?.workloadFrom && !plan.traffic.workload) plan.traffic.workload = await writeDerivedWorkload(plan.traffic.workloadFrom, outDir, log);
  // Ctrl-C / SIGTERM: the exit waits until the run has stopped its servers and written its report.
  let finished!: () => void;
  const written = new Promise<void>((resolve) => (finished = resolve));
  // set once the rehearsal is over (its servers stopped) and only the report is being written
  let startWriting!: () => void;
  const writing = new Promise<void>((resolve) => (startWriting = resolve));
  const notSaved = () => {
    process.stderr.write(`interrupted: the report in ${outDir} was not saved\n`);
    releaseStuckReportFiles(outDir, rp.formats);
  };
  const unregister = onExitCleanup(
    async () => {
      // the run stops its servers first (its stage fails as they go); then nothing is left to stop
      // and the report gets a short while to be saved, not the grace period (a write stuck on the
      // folder would otherwise hold the exit)
      const saved = await Promise.race([written.then(() => true), writing.then(() => sleep(REPORT_WAIT_MS)).then(() => false)]);
      if (!saved) notSaved();
    },
    // hurried (a second Ctrl-C, or the grace period over while the report is still being written)
    () => void (interrupted() && notSaved()),
  );
  // a connection of some stage that dies while idle (the server gone mid-run) emits 'error' with
  // no listener: the stage itself sees the failure and the run reports it; anything else is a bug
  if (!process.listeners('uncaughtException').includes(onUncaught)) process.on('uncaughtException', onUncaught);
  try {
    const outcome = await rehearse(plan, log, process.argv.slice(2));
    startWriting();
    const code = await finishRun(outcome, plan, outDir, baseline, log);
    // the report is out: now the next run's clone of the dataset (url snapshots), not before
    if (!interrupted()) await outcome.afterwards?.();
    return code;
  } finally {
    unregister();
    finished();
  }
}

/** How long a signal waits for a report being written once the run's servers are stopped. */
const REPORT_WAIT_MS = 1_000;

/**
 * A report file that is a FIFO without a reader (or a write stuck the same way) blocks its
 * writer's thread in open(), and the process cannot exit while a thread of its pool is blocked:
 * open the FIFO's other end for an instant, so the writer's open returns and its write fails
 * (EPIPE). Best effort, synchronous (it runs right before the exit).
 */
function releaseStuckReportFiles(outDir: string, formats: readonly string[]): void {
  for (const format of new Set(['json', ...formats])) {
    if (format === 'terminal') continue;
    const file = path.join(outDir, FORMAT_FILES[format as keyof typeof FORMAT_FILES]);
    try {
      if (!fs.lstatSync(file).isFIFO()) continue;
      fs.closeSync(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    } catch {
      // gone, or not ours to open: nothing to release
    }
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
  log: Logger,
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

  // --suggest: the mechanical rewrites, rehearsed the same way; before vs after in the report
  if (plan.suggest && !interrupted()) {
    const suggestion = await rehearseSuggestion(
      plan,
      report,
      outDir,
      log,
      rehearse,
      rp.formats.filter((f) => f !== 'terminal'),
      (r) => {
        finalizeReport(r, { budgets: rp.budgets, regression: rp.regression });
      },
    );
    if (suggestion) report.suggestion = suggestion;
    else log.info('--suggest: no finding can be rewritten mechanically');
  }

  // budgets, the baseline comparison and the verdict; then every format from the one report.json
  report.output = { dir: outDir, formats: rp.formats, ...(rp.reportUrl ? { reportUrl: rp.reportUrl } : {}) };
  exitCode = finalizeReport(report, { budgets: rp.budgets, budgetsOn: rp.budgetsOn, ...(baseline ? { baseline } : {}), regression: rp.regression });
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
  return exitCode;
}
