import path from 'node:path';
import { usageError } from '../../core/errors.ts';
import { checkWritableFile, ensureWritableDir } from '../../core/writable.ts';
import { FORMAT_FILES, type FileFormat } from './formats.ts';
import type { OutputFormat } from '../model/types.ts';

/**
 * Before any server starts: the report folder can be made and written, and every file the run
 * will write there (report.json and the chosen formats) can be replaced. A usage error (exit 2)
 * naming the path and the reason otherwise.
 */
export async function checkOutputs(outDir: string, formats: readonly OutputFormat[]): Promise<void> {
  const dirProblem = await ensureWritableDir(outDir);
  if (dirProblem) throw usageError(`--out ${outDir}: the report cannot be written there: ${dirProblem}`, 'give --out a folder you can write to');
  const files = [...new Set(['json', ...formats].filter((f): f is FileFormat => f !== 'terminal'))].map((f) => path.join(outDir, FORMAT_FILES[f]));
  for (const file of files) {
    const problem = await checkWritableFile(file);
    if (problem) throw usageError(`--out ${outDir}: cannot replace ${problem}`, 'remove it, or give --out another folder');
  }
}
