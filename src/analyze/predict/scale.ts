import { checkpointDistance } from './regimes.ts';
import { fmtBytes, PACED_CHECKPOINTS, type RegimeSettings } from './settings.ts';

/**
 * Calibrating across the regimes (docs/predictions.md "Calibrated across"): a calibration replay on
 * a sample of `scale` × production's bytes runs on a server whose size-bound settings are
 * production's scaled by the same `scale`, so the sample crosses shared_buffers, the checkpoint
 * distance and the parallel-worker thresholds as production will. Pure.
 */
export interface ScaledRun {
  /** settings to restart the tool's own server with (as PostgreSQL spells them) */
  server: Record<string, string>;
  /** WAL between the checkpoints the replay issues itself (the scaled distance is below max_wal_size's floor); null: the server's own */
  checkpointEvery: number | null;
  /** the settings in words, for the notes */
  text: string;
}

const PAGE = 8192;
const MB = 1024 * 1024;
/** 128 buffers: with 16–32 an index build runs out of unpinned buffers ("no unpinned buffers available") */
export const MIN_SCALED_SHARED_BUFFERS = MB;
/** max_wal_size cannot go below two WAL segments (16 MB each by default) */
const MIN_MAX_WAL_SIZE = 32 * MB;
/** WAL between paced checkpoints: below this the pacing is finer than it can poll */
const MIN_CHECKPOINT_EVERY = 256 * 1024;

const kB = (bytes: number): string => `${Math.max(1, Math.round(bytes / 1024))}kB`;
const pages = (bytes: number, min: number): string => `${Math.max(min, Math.round(bytes / PAGE)) * 8}kB`;

/**
 * The settings for a calibration replay on `scale` (the sample's bytes over production's, < 1) of
 * production: null when production's shared_buffers is unknown (nothing to scale).
 */
export function scaledSettings(production: RegimeSettings, scale: number): ScaledRun | null {
  if (production.sharedBuffers === null || !(scale > 0 && scale < 1)) return null;
  const server: Record<string, string> = {};
  const words: string[] = [];
  const sb = Math.max(production.sharedBuffers * scale, MIN_SCALED_SHARED_BUFFERS);
  server.shared_buffers = pages(sb, 16);
  words.push(`shared_buffers ${fmtBytes(sb)}`);
  // WAL buffering is about WAL, not the table: production's (auto: 1/32 of its shared_buffers, 64 kB–16 MB)
  server.wal_buffers = pages(Math.min(Math.max(production.sharedBuffers / 32, 64 * 1024), 16 * MB), 4);
  if (production.maintenanceWorkMem !== null) server.maintenance_work_mem = kB(production.maintenanceWorkMem);
  if (production.maxParallelMaintenanceWorkers !== null) server.max_parallel_maintenance_workers = String(production.maxParallelMaintenanceWorkers);
  let checkpointEvery: number | null = null;
  const distance = checkpointDistance(production);
  if (production.maxWalSize !== null && distance !== null) {
    const wal = production.maxWalSize * scale;
    if (wal >= MIN_MAX_WAL_SIZE) {
      server.max_wal_size = `${Math.round(wal / MB)}MB`;
      words.push(`max_wal_size ${fmtBytes(wal)}`);
    } else {
      // below the floor: the replay issues a CHECKPOINT each time this much WAL has been written
      checkpointEvery = Math.max(distance * scale, MIN_CHECKPOINT_EVERY);
      words.push(
        `a checkpoint every ${fmtBytes(checkpointEvery)} of WAL (max_wal_size scaled is below its floor of ${fmtBytes(MIN_MAX_WAL_SIZE)}: issued by the calibration)`,
      );
    }
  }
  return { server, checkpointEvery, text: words.join(', ') };
}

/** The settings a point ran on, as `readRegimeSettings` prints them, with the paced checkpoints said. */
export function withPacing(settings: Record<string, string>, run: ScaledRun | null): Record<string, string> {
  return run?.checkpointEvery ? { ...settings, [PACED_CHECKPOINTS]: `${Math.round(run.checkpointEvery)}B` } : settings;
}
