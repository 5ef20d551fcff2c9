import { readConfigFile, resolveRegression } from '../config/index.ts';
import { ExitCode } from '../core/errors.ts';
import { compareReports, readReportFile, renderComparison, type Report } from '../report/index.ts';
import { colorFor, defineCommand } from './options.ts';
import { COMPARE_OPTIONS, type CompareOptions } from './flags.ts';

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
  run: ([oldFile, newFile], opts) => compareCommand(oldFile!, newFile!, opts),
});

export async function compareCommand(oldFile: string, newFile: string, opts: CompareOptions): Promise<number> {
  const { config } = await readConfigFile(opts.config);
  const regression = resolveRegression(opts.regressionThreshold ?? config.regressionThreshold, opts.regressionMin ?? config.regressionMin);
  const before: Report = (await readReportFile(oldFile)).report;
  const after: Report = (await readReportFile(newFile)).report;
  const comparison = compareReports(before, after, { ...regression, baselineFile: oldFile });
  if (opts.json) process.stdout.write(JSON.stringify(comparison, null, 2) + '\n');
  else process.stdout.write(renderComparison(comparison, { color: colorFor(process.stdout) }) + '\n');
  return comparison.regressions > 0 ? ExitCode.migrationFailed : ExitCode.ok;
}
