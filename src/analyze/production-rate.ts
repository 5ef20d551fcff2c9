import { conflicts } from '../observe/index.ts';
import type { StatsFile, TrafficStatement } from '../stats/index.ts';
import type { ProductionRateImpact } from './types.ts';

/**
 * Impact at production's rate (issue 20): for a statement that held a lock production's statements
 * would wait for, the production calls per second of the statements on that table whose lock
 * conflicts with it × the hold = the queries that would queue; against production's connection
 * count, after how long every connection would be waiting. The hold is the prediction at
 * production size when there is one (--predict-for), else the measured one. Estimates, with their
 * basis stated. Pure.
 */

/** The lock a production statement takes on the tables it names (SELECT: AccessShare; writes: RowExclusive). */
export function lockOf(s: Pick<TrafficStatement, 'command' | 'text'>): string {
  const command = s.command ?? s.text.trim().split(/\s+/)[0]!.toUpperCase();
  if (command === 'SELECT' && /\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE|KEY\s+SHARE)\b/i.test(s.text)) return 'RowShareLock';
  return command === 'SELECT' ? 'AccessShareLock' : 'RowExclusiveLock';
}

/** `items`, `"Items"`, `public.items` → `public.items` (quotes dropped). */
const qualified = (relation: string) => {
  const bare = relation.replace(/"/g, '');
  return bare.includes('.') ? bare : `public.${bare}`;
};

export interface HeldLocks {
  strongestLocks: { relation: string; mode: string }[];
  lockHeldMs: number;
  predicted?: { lockHeldMs: number } | undefined;
}

/** Per table the statement locked in a mode production's statements on it wait for: the estimate, busiest table first. */
export function impactAtProductionRate(s: HeldLocks, stats: StatsFile, statsFile: string): ProductionRateImpact[] {
  const statements = stats.traffic?.statements ?? [];
  if (!statements.length) return [];
  const predicted = s.predicted !== undefined;
  const holdMs = predicted ? s.predicted!.lockHeldMs : s.lockHeldMs;
  if (!(holdMs > 0)) return [];
  const windowS = (stats.traffic!.windowMs ?? 0) / 1000;
  const connections = stats.traffic!.activity?.maxConnections || null;
  const out: ProductionRateImpact[] = [];
  for (const lock of s.strongestLocks) {
    const table = qualified(lock.relation);
    const waiting = statements.filter((p) => p.tables?.includes(table) && conflicts(lock.mode, lockOf(p)));
    const callsPerSec = round(
      waiting.reduce((sum, p) => sum + p.callsPerSec, 0),
      3,
    );
    if (!(callsPerSec > 0)) continue;
    const queued = Math.round((callsPerSec * holdMs) / 1000);
    const fillMs = connections ? (connections / callsPerSec) * 1000 : null;
    const allWait = fillMs !== null && fillMs <= holdMs ? fillMs : null;
    out.push({
      table,
      mode: lock.mode,
      holdMs: round(holdMs, 1),
      holdFrom: predicted ? 'predicted' : 'measured',
      productionCallsPerSec: callsPerSec,
      productionStatements: waiting.length,
      estimatedQueuedQueries: queued,
      productionConnections: connections,
      estimatedAllConnectionsWaitingAfterMs: allWait === null ? null : round(allWait, 1),
      basis:
        `at production's ${fmt(callsPerSec)} queries/s on ${table} (${waiting.length} statement${waiting.length === 1 ? '' : 's'} whose lock waits for ${lock.mode}, ` +
        `${statsFile}'s ${fmt(windowS)} s window), a ${duration(holdMs)} ${lock.mode} hold (${predicted ? 'predicted at production size' : 'measured'}) queues about ${fmt(queued)} ${queued === 1 ? 'query' : 'queries'}` +
        (connections === null
          ? ' (no connection count in the file)'
          : allWait !== null
            ? `; all ${fmt(connections)} connections wait after ${duration(allWait)}`
            : `; fewer than its ${fmt(connections)} connections wait (they would all be waiting after ${duration(fillMs!)})`),
    });
  }
  return out.sort((a, b) => b.estimatedQueuedQueries - a.estimatedQueuedQueries || a.table.localeCompare(b.table));
}

/** Written into each statement as `atProductionRate` (absent where nothing production sends would wait). */
export function addImpactAtProductionRate(
  migrations: { statements: (HeldLocks & { atProductionRate?: ProductionRateImpact[] })[] }[],
  stats: StatsFile,
  statsFile: string,
): void {
  for (const m of migrations)
    for (const s of m.statements) {
      const impact = impactAtProductionRate(s, stats, statsFile);
      if (impact.length) s.atProductionRate = impact;
    }
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: n < 10 ? 2 : 0 });
const duration = (ms: number) => (ms >= 1000 ? `${fmt(round(ms / 1000, ms >= 10_000 ? 0 : 1))} s` : `${fmt(round(ms, ms >= 10 ? 0 : 1))} ms`);
