import type { Migration } from '../../migrations/index.ts';
import { planUnits, type TimeoutPolicy } from '../../replay/index.ts';
import type { StatsFile } from '../../stats/index.ts';
import { describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { Calibration, CalibrationScale } from './calibrate.ts';
import { parseRegimeSettings } from './settings.ts';
import { loadParser, tableKey } from './classify.ts';
import { drivingTables, predict, type MeasuredMigration, type PredictOutput } from './predict.ts';

export interface PredictRunOptions {
  /** the measured migrations (the report's: lock waits already taken out of the holds) */
  measured: MeasuredMigration[];
  /** the migrations replayed (their transaction units); [] in command mode */
  pending: Migration[];
  /** tables and rows before the migrations (the dataset summary) */
  tables: { name: string; rows: number; bytes: number }[];
  stats: StatsFile;
  statsFile: string;
  /** the clone made before the replay; absent: no calibration (one point per statement) */
  calibration?: Calibration | undefined;
  fractions: number[];
  timeouts?: TimeoutPolicy;
  log: Logger;
  /** said in the summary (stats tables missing from the rehearsal, a clone that failed, …) */
  notes?: string[];
}

/** Calibrate on samples (when a clone was made), then predict every statement. */
export async function runPredictions(o: PredictRunOptions): Promise<PredictOutput> {
  await loadParser();
  const rehearsal = new Map(o.tables.map((t) => [tableKey(t.name), { rows: t.rows, bytes: t.bytes }]));
  const tables = drivingTables(o.measured, rehearsal, o.stats);
  const notes = [...(o.notes ?? [])];
  let calibration: Awaited<ReturnType<Calibration['run']>> = [];
  if (o.calibration && tables.length && o.pending.length) {
    try {
      const scale = o.calibration.canScale ? calibrationScale(tables, rehearsal, o.stats, o.calibration.settings) : undefined;
      calibration = await o.calibration.run({
        migrations: o.pending,
        tables,
        fractions: o.fractions,
        ...(o.timeouts ? { timeouts: o.timeouts } : {}),
        ...(scale ? { scale } : {}),
      });
      if (calibration.some((c) => c.failed)) notes.push('a calibration replay stopped at a failing statement: the statements after it stand on fewer points');
      const scaled = [...new Map(calibration.filter((c) => c.scaled).map((c) => [c.fraction, c.scaled!])).entries()];
      if (scaled.length)
        notes.push(
          `calibrated across regimes: each calibration replay ran on the tool's server restarted with production's settings scaled to its sample (the rehearsal's table is ${Math.round(scale!.ratio)}× smaller than production's) — ${scaled.map(([f, text]) => `${Math.round(f * 1000) / 10} %: ${text}`).join('; ')}`,
        );
    } catch (err) {
      o.log.warn(`calibration failed: ${describeError(err)}`);
      notes.push(`calibration failed (${describeError(err)}): predictions stand on the rehearsal alone`);
    }
  }
  if (o.calibration && !o.calibration.canScale && calibration.length) {
    notes.push(
      "the calibration replays ran on the rehearsal server's own settings (only the embedded server the tool starts itself is restarted with production's settings scaled down; never a --database-url one): a regime production is in and the samples are not is flagged, not calibrated",
    );
  }
  const units = new Map<string, Map<number, number>>();
  for (const m of o.pending) {
    const byIndex = new Map<number, number>();
    planUnits(m.up).forEach((u, n) => u.statements.forEach((s) => byIndex.set(s.index, n)));
    units.set(m.id, byIndex);
  }
  const out = predict({
    migrations: o.measured,
    unitOf: (id, index) => units.get(id)?.get(index),
    rehearsal,
    calibration,
    stats: o.stats,
    statsFile: o.statsFile,
    ...(o.calibration ? { rehearsalSettings: o.calibration.settings } : {}),
  });
  out.summary.notes.unshift(...notes);
  return out;
}

/**
 * How much smaller than production each sample is: production's bytes over the rehearsal's for the
 * driving table largest in production (the statistics' totalBytes, else its rows at the rehearsal's
 * bytes per row), and production's settings (the statistics file's, each one it lacks the rehearsal
 * server's). Undefined: nothing bigger in production.
 */
export function calibrationScale(
  tables: string[],
  rehearsal: Map<string, { rows: number; bytes: number }>,
  stats: StatsFile,
  rehearsalSettings: Record<string, string>,
): CalibrationScale | undefined {
  let ratio = 0;
  for (const [name, t] of Object.entries(stats.tables)) {
    const key = tableKey(name);
    const r = rehearsal.get(key);
    if (!tables.includes(key) || !r || r.rows <= 0 || r.bytes <= 0) continue;
    const bytes = t.totalBytes ?? (t.rows * r.bytes) / r.rows;
    ratio = Math.max(ratio, bytes / r.bytes);
  }
  if (!(ratio > 1)) return undefined;
  return { ratio, production: parseRegimeSettings({ ...rehearsalSettings, ...(stats.server?.settings ?? {}) }) };
}
