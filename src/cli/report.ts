import path from 'node:path';
import { ExitCode } from '../core/errors.ts';
import { readReportFile, parseFormats, renderTerminalOf, renderVerdictLines, writeFormatsFromJson, type OutputFormat } from '../report/index.ts';
import { colorFor, shown } from './options.ts';
import type { ReportOptions } from './flags.ts';
import { terminalWidth } from '../core/terminal-width.ts';

export async function reportCommand(file: string, opts: ReportOptions): Promise<number> {
  const { json, report } = await readReportFile(file);
  const formats: OutputFormat[] =
    opts.format !== undefined ? parseFormats(opts.format) : (report.output?.formats.filter((f) => f !== 'json') ?? ['md', 'html', 'junit']);
  const outDir = opts.out ?? path.dirname(file);
  const files = await writeFormatsFromJson(json, outDir, formats);
  if (formats.includes('terminal')) {
    const color = colorFor(process.stdout);
    const tail = renderVerdictLines(report, { color });
    process.stdout.write(renderTerminalOf(json, { color, width: terminalWidth(process.stdout) }) + (tail ? `\n${tail}` : '') + '\n');
  }
  if (!opts.quiet && files.length) process.stderr.write(`written: ${files.map((f) => shown(f.file)).join(', ')}\n`);
  return ExitCode.ok;
}
