/**
 * The server settings that decide a statement's regime (docs/predictions.md "Regimes"), parsed from
 * what `current_setting()` prints (`128MB`, `5min`, `on`) or a hand-written file (a bare number is
 * in the setting's own unit: 8 kB pages for shared_buffers, MB for max_wal_size, …). Pure.
 */
export interface RegimeSettings {
  sharedBuffers: number | null;
  effectiveCacheSize: number | null;
  maxWalSize: number | null;
  /** milliseconds */
  checkpointTimeout: number | null;
  checkpointCompletionTarget: number | null;
  maintenanceWorkMem: number | null;
  workMem: number | null;
  maxParallelMaintenanceWorkers: number | null;
  minParallelTableScanSize: number | null;
  fullPageWrites: boolean | null;
  walCompression: string | null;
  /** bytes of WAL between checkpoints a scaled calibration replay paced itself (PACED_CHECKPOINTS); null: the server's own */
  checkpointEvery: number | null;
}

/**
 * Not a server setting: the WAL between the checkpoints a scaled calibration replay issued itself
 * (production's checkpoint distance scaled below max_wal_size's floor of two WAL segments: calibrate.ts).
 * Bytes.
 */
export const PACED_CHECKPOINTS = 'rehearse.checkpoint_every';

/** The settings read from the rehearsal server and recorded by `rehearse stats` (server.settings). */
export const REGIME_SETTINGS = [
  'shared_buffers',
  'effective_cache_size',
  'max_wal_size',
  'checkpoint_timeout',
  'checkpoint_completion_target',
  'maintenance_work_mem',
  'work_mem',
  'max_parallel_maintenance_workers',
  'min_parallel_table_scan_size',
  'full_page_writes',
  'wal_compression',
] as const;

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** `128MB` → bytes; a bare number is in `unit` bytes. null: unreadable. */
export function parseSize(value: string | undefined, unit: number): number | null {
  if (value === undefined) return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  const factor = m[2] ? SIZE_UNITS[m[2].toLowerCase()] : unit;
  return factor === undefined || n < 0 ? null : n * factor;
}

/** `5min` → milliseconds; a bare number is in `unit` milliseconds. */
export function parseDuration(value: string | undefined, unit: number): number | null {
  if (value === undefined) return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!m) return null;
  const factor = m[2] ? TIME_UNITS[m[2].toLowerCase()] : unit;
  return factor === undefined || Number(m[1]) < 0 ? null : Number(m[1]) * factor;
}

const num = (v: string | undefined): number | null => (v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const bool = (v: string | undefined): boolean | null =>
  v === undefined ? null : /^(on|true|yes|1)$/i.test(v.trim()) ? true : /^(off|false|no|0)$/i.test(v.trim()) ? false : null;

export function parseRegimeSettings(raw: Record<string, string> | undefined): RegimeSettings {
  const s = raw ?? {};
  return {
    sharedBuffers: parseSize(s.shared_buffers, 8192),
    effectiveCacheSize: parseSize(s.effective_cache_size, 8192),
    maxWalSize: parseSize(s.max_wal_size, 1024 ** 2),
    checkpointTimeout: parseDuration(s.checkpoint_timeout, 1000),
    checkpointCompletionTarget: num(s.checkpoint_completion_target),
    maintenanceWorkMem: parseSize(s.maintenance_work_mem, 1024),
    workMem: parseSize(s.work_mem, 1024),
    maxParallelMaintenanceWorkers: num(s.max_parallel_maintenance_workers),
    minParallelTableScanSize: parseSize(s.min_parallel_table_scan_size, 8192),
    fullPageWrites: bool(s.full_page_writes),
    walCompression: s.wal_compression ?? null,
    checkpointEvery: parseSize(s[PACED_CHECKPOINTS], 1),
  };
}

/** 33554432 → "32 MB" */
export function fmtBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : Number(v.toPrecision(2))} ${units[i]}`;
}
