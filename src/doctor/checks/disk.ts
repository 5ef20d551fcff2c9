import fs from 'node:fs/promises';
import type { DumpFormat } from '../../load/index.ts';
import type { Check, DoctorOptions } from '../types.ts';
import { formatBytes, type DumpFacts } from './dump.ts';

/**
 * How many times its size a dump takes once restored (tables, their indexes, the WAL of the load):
 * archives of pg_dump -Fc/-Fd are compressed and hold index definitions, not indexes, so ×5; tar
 * archives and plain SQL are not compressed, ×2; gzipped plain SQL ×10. A rough factor: rewrites
 * during the replay need the rewritten table's size again.
 */
export const RESTORE_FACTOR: Record<DumpFormat, number> = { custom: 5, directory: 5, tar: 2, plain: 2, 'plain-gzip': 10 };

/** Below this much free space the doctor warns even without a dump. */
const LOW_BYTES = 1e9;

/** Free space where the embedded server's data directory goes, against what the dump needs. */
export async function checkDisk(options: DoctorOptions, dump: DumpFacts | null, dataBase: string): Promise<Check> {
  if (options.provider !== 'embedded') {
    return {
      name: 'disk',
      status: 'skip',
      message:
        options.provider === 'container'
          ? "the data lives on the Docker engine's disk (DOCKER_HOST for a bigger one)"
          : "the data lives on the existing server's disk",
    };
  }
  let free: number;
  try {
    const s = await fs.statfs(dataBase);
    free = s.bavail * s.bsize;
  } catch (err) {
    return { name: 'disk', status: 'warn', message: `cannot read the free space of ${dataBase}: ${(err as Error).message}` };
  }
  if (!dump) {
    return free < LOW_BYTES
      ? { name: 'disk', status: 'warn', message: `${formatBytes(free)} free in ${dataBase}`, fix: 'free some space, or point TMPDIR at a bigger disk' }
      : { name: 'disk', status: 'ok', message: `${formatBytes(free)} free in ${dataBase}` };
  }
  const factor = RESTORE_FACTOR[dump.format];
  const needed = dump.bytes * factor;
  const what = `${formatBytes(free)} free in ${dataBase}; the ${formatBytes(dump.bytes)} ${dump.format} dump needs about ${formatBytes(needed)} restored (×${factor})`;
  if (free < needed)
    return {
      name: 'disk',
      status: 'fail',
      message: what,
      fix: 'point TMPDIR at a disk with more free space, or use --provider container with DOCKER_HOST at an engine with a big disk',
    };
  if (free < needed * 1.5)
    return {
      name: 'disk',
      status: 'warn',
      message: `${what}: little room for rewrites`,
      fix: 'a rewrite needs the table once more: point TMPDIR at a bigger disk',
    };
  return { name: 'disk', status: 'ok', message: what };
}
