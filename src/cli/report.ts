import path from 'node:path';
import { ExitCode } from '../core/errors.ts';
import { readReportFile, parseFormats, renderTerminalOf, renderVerdictLines, writeFormatsFromJson, type OutputFormat } from '../report/index.ts';
import { colorFor, defineCommand, shown } from './options.ts';
import { REPORT_OPTIONS, type ReportOptions } from './flags.ts';
import { terminalWidth } from '../core/terminal-width.ts';

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
  run: ([file], opts) => reportCommand(file!, opts),
});

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
