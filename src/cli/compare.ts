import { readConfigFile, resolveRegression } from '../config/index.ts';
import { ExitCode } from '../core/errors.ts';
import { compareReports, readReportFile, renderComparison, type Report } from '../report/index.ts';
import { colorFor } from './options.ts';
import type { CompareOptions } from './flags.ts';

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
