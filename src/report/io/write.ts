import fs from 'node:fs/promises';
import path from 'node:path';
import { maskSecrets } from '../../core/mask.ts';
import type { Report } from '../model/types.ts';

/** report.json: the single source every other format renders. Secrets masked on the way out. */
export function serializeReport(report: Report): string {
  return JSON.stringify(report, (_key, value) => (typeof value === 'string' ? maskSecrets(value) : value), 2) + '\n';
}

export async function writeReport(report: Report, outDir: string): Promise<string> {
  await fs.mkdir(outDir, { recursive: true });
  const file = path.join(outDir, 'report.json');
  await fs.writeFile(file, serializeReport(report));
  return file;
}

export function defaultOutDir(now = new Date()): string {
  return path.join('reports', now.toISOString().replace(/[:]/g, '-').replace(/\..*$/, ''));
}
