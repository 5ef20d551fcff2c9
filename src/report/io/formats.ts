import fs from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../../core/errors.ts';
import { renderHtml } from '../render/html.ts';
import { renderJunit } from '../render/junit.ts';
import { renderMarkdown } from '../render/markdown.ts';
import { renderSarif } from '../render/sarif.ts';
import { renderCodeQuality } from '../render/codequality.ts';
import { renderTerminal } from '../render/terminal.ts';
import type { OutputFormat, Report } from '../model/types.ts';
import { serializeReport } from './write.ts';
import { OUTPUT_FORMATS } from '../../core/names.ts';
import { FILE_NAMES } from '../model/files.ts';
import { makeDir } from '../../core/writable.ts';

export { OUTPUT_FORMATS };
/** The formats written to files, and their names in the output folder. */
export type FileFormat = Exclude<OutputFormat, 'terminal'>;
export const FORMAT_FILES: Record<FileFormat, string> = FILE_NAMES;
/** `rehearse run` without --format: report.json and the printed summary. */
export const DEFAULT_FORMATS: OutputFormat[] = ['json', 'terminal'];

/** 'md,html' or ['md', 'html'] → the formats, validated; a usage error names an unknown one. */
export function parseFormats(value: string | string[], source = '--format'): OutputFormat[] {
  const names = (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
  const alias: Record<string, OutputFormat> = { markdown: 'md', xml: 'junit', text: 'terminal' };
  const out: OutputFormat[] = [];
  for (const n of names) {
    const f = (alias[n] ?? n) as OutputFormat;
    if (!(OUTPUT_FORMATS as readonly string[]).includes(f)) throw usageError(`${source}: unknown format "${n}"`, `formats: ${OUTPUT_FORMATS.join(', ')}`);
    if (!out.includes(f)) out.push(f);
  }
  if (out.length === 0) throw usageError(`${source}: no format given`, `formats: ${OUTPUT_FORMATS.join(', ')}`);
  return out;
}

/**
 * A file format's text, rendered from report.json's own text: what `rehearse run` writes and what
 * `rehearse report` re-renders from the saved file are the same bytes.
 */
export function renderFileFormat(json: string, format: FileFormat): string {
  if (format === 'json') return json;
  const report = JSON.parse(json) as Report;
  switch (format) {
    case 'md':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'junit':
      return renderJunit(report);
    case 'sarif':
      return renderSarif(report);
    case 'codequality':
      return renderCodeQuality(report);
  }
}

/** The printed summary of a saved report. */
export function renderTerminalOf(json: string, options: { color: boolean; width: number }): string {
  return renderTerminal(JSON.parse(json) as Report, options);
}

/**
 * Write report.json (always) and the requested file formats into `dir`; 'terminal' is not a file
 * and is left to the caller. Returns the files written, report.json first.
 */
export async function writeFormats(report: Report, dir: string, formats: readonly OutputFormat[]): Promise<{ format: FileFormat; file: string }[]> {
  return writeFormatsFromJson(serializeReport(report), dir, ['json', ...formats]);
}

/** The file formats among `formats`, rendered from report.json's text (`rehearse report`). */
export async function writeFormatsFromJson(json: string, dir: string, formats: readonly OutputFormat[]): Promise<{ format: FileFormat; file: string }[]> {
  await makeDir(dir);
  const wanted = [...new Set(formats.filter((f): f is FileFormat => f !== 'terminal'))];
  const written: { format: FileFormat; file: string }[] = [];
  for (const format of wanted) {
    const file = path.join(dir, FORMAT_FILES[format]);
    await fs.writeFile(file, renderFileFormat(json, format));
    written.push({ format, file });
  }
  return written;
}

/**
 * A saved report.json, read for `rehearse report`, `compare` and `--baseline`: its text and the
 * parsed report. A usage error (exit 2) when it is missing, not JSON or not a pg-rehearse report.
 */
export async function readReportFile(file: string): Promise<{ json: string; report: Report }> {
  let json: string;
  try {
    json = await fs.readFile(file, 'utf8');
  } catch {
    throw usageError(`${file}: cannot be read`, 'give the path of a report.json that rehearse run wrote');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw usageError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const r = raw as Partial<Report> | null;
  if (!r || typeof r !== 'object' || r.tool?.name !== 'pg-rehearse' || !Array.isArray(r.migrations) || !r.run || !r.summary) {
    throw usageError(`${file}: not a pg-rehearse report.json`, 'give the report.json that rehearse run wrote');
  }
  if (r.schemaVersion !== '1.0') throw usageError(`${file}: report schemaVersion ${String(r.schemaVersion)} is not supported (this pg-rehearse reads 1.0)`);
  return { json, report: raw as Report };
}
