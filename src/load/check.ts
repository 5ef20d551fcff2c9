import { readStatsFile } from '../stats/index.ts';
import { detectDumpFormat } from './detect.ts';
import type { LoadSpec } from './types.ts';

/** A load's files read before any server starts (a missing dump or a bad statistics file costs no server start): the dump's format, or the synthesis's statistics and schema. */
export async function checkLoadInputs(spec: LoadSpec): Promise<void> {
  if (spec.kind === 'dump') await detectDumpFormat(spec.path);
  if (spec.kind === 'synthesize') {
    await readStatsFile(spec.stats);
    await detectDumpFormat(spec.schema);
  }
}
