import type { Migration } from '../../migrations/index.ts';
import { planUnits, type TimeoutPolicy } from '../../replay/index.ts';
import type { StatsFile } from '../../stats/index.ts';
import { describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { Calibration } from './calibrate.ts';
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
      calibration = await o.calibration.run({ migrations: o.pending, tables, fractions: o.fractions, ...(o.timeouts ? { timeouts: o.timeouts } : {}) });
      if (calibration.some((c) => c.failed)) notes.push('a calibration replay stopped at a failing statement: the statements after it stand on fewer points');
    } catch (err) {
      o.log.warn(`calibration failed: ${describeError(err)}`);
      notes.push(`calibration failed (${describeError(err)}): predictions stand on the rehearsal alone`);
    }
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
