import { describe, expect, it } from 'vitest';
import { addImpactAtProductionRate, impactAtProductionRate, lockOf } from '../src/analyze/index.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { renderMarkdown, renderTerminal } from '../src/report/index.ts';
import type { StatsFile, TrafficStatement } from '../src/stats/index.ts';
import { exampleReport } from './fixtures-reports/reports.ts';

/** Issue 20, item 4: the impact figures are the arithmetic on a known rate and hold. */

const statement = (queryid: string, text: string, command: string, callsPerSec: number, tables: string[]): TrafficStatement => ({
  queryid,
  text,
  command,
  calls: callsPerSec * 60,
  callsPerSec,
  rowsPerCall: 1,
  meanMs: 0.2,
  tables,
});

const stats: StatsFile = {
  tables: { 'public.events': { rows: 1e8 }, 'public.users': { rows: 1e6 } },
  traffic: {
    windowMs: 60_000,
    statements: [
      statement('1', 'SELECT * FROM events WHERE id = $1', 'SELECT', 2000, ['public.events']),
      statement('2', 'INSERT INTO events (id, kind) VALUES ($1, $2)', 'INSERT', 300, ['public.events']),
      statement('3', 'SELECT * FROM users WHERE id = $1', 'SELECT', 5000, ['public.users']),
    ],
    activity: {
      samples: 600,
      sampleMs: 100,
      connections: [{ application: 'api', max: 100, mean: 80, meanActive: 12 }],
      maxConnections: 100,
      transactions: { open: { count: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 }, idleInTransaction: { count: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 } },
      longest: [],
    },
  },
};

describe("impact at production's rate", () => {
  it('an AccessExclusive hold of 125 s on events at 2,300 queries/s: 287,500 queued, all 100 connections waiting after 43 ms', () => {
    const [impact, ...rest] = impactAtProductionRate(
      { strongestLocks: [{ relation: 'events', mode: 'AccessExclusiveLock' }], lockHeldMs: 125_000 },
      stats,
      'prod-stats.json',
    );
    expect(rest).toEqual([]);
    expect(impact).toMatchObject({
      table: 'public.events',
      mode: 'AccessExclusiveLock',
      holdMs: 125_000,
      holdFrom: 'measured',
      productionCallsPerSec: 2300,
      productionStatements: 2,
      estimatedQueuedQueries: 2300 * 125,
      productionConnections: 100,
    });
    expect(impact!.estimatedAllConnectionsWaitingAfterMs).toBeCloseTo((100 / 2300) * 1000, 1);
    expect(impact!.basis).toBe(
      "at production's 2,300 queries/s on public.events (2 statements whose lock waits for AccessExclusiveLock, prod-stats.json's 60 s window), " +
        'a 125 s AccessExclusiveLock hold (measured) queues about 287,500 queries; all 100 connections wait after 43 ms',
    );
  });

  it('a ShareLock (CREATE INDEX) holds up the writes only; a predicted hold is used before the measured one', () => {
    const [impact] = impactAtProductionRate(
      { strongestLocks: [{ relation: 'public.events', mode: 'ShareLock' }], lockHeldMs: 40, predicted: { lockHeldMs: 20_000 } },
      stats,
      'prod-stats.json',
    );
    expect(impact).toMatchObject({ productionCallsPerSec: 300, productionStatements: 1, holdMs: 20_000, holdFrom: 'predicted', estimatedQueuedQueries: 6000 });
    expect(impact!.estimatedAllConnectionsWaitingAfterMs).toBeCloseTo((100 / 300) * 1000, 1);
  });

  it('a hold shorter than the time to fill the connections: no "all waiting" figure, the basis says fewer wait', () => {
    const [impact] = impactAtProductionRate(
      { strongestLocks: [{ relation: 'events', mode: 'AccessExclusiveLock' }], lockHeldMs: 10 },
      stats,
      'prod-stats.json',
    );
    expect(impact).toMatchObject({ estimatedQueuedQueries: 23, estimatedAllConnectionsWaitingAfterMs: null });
    expect(impact!.basis).toMatch(/fewer than its 100 connections wait \(they would all be waiting after 43 ms\)/);
  });

  it('nothing for a lock no production statement waits for, a table without traffic, or a file without statements', () => {
    expect(impactAtProductionRate({ strongestLocks: [{ relation: 'events', mode: 'ShareUpdateExclusiveLock' }], lockHeldMs: 5000 }, stats, 'f')).toEqual([]);
    expect(impactAtProductionRate({ strongestLocks: [{ relation: 'orders', mode: 'AccessExclusiveLock' }], lockHeldMs: 5000 }, stats, 'f')).toEqual([]);
    expect(impactAtProductionRate({ strongestLocks: [{ relation: 'events', mode: 'AccessExclusiveLock' }], lockHeldMs: 5000 }, { tables: {} }, 'f')).toEqual(
      [],
    );
    expect(lockOf({ command: 'SELECT', text: 'SELECT * FROM t WHERE id = $1 FOR UPDATE' })).toBe('RowShareLock');
    expect(lockOf({ command: 'UPDATE', text: 'UPDATE t SET a = $1' })).toBe('RowExclusiveLock');
  });

  it('in the report (valid against its schema) and rendered in terminal and Markdown', () => {
    const report = exampleReport();
    const s = report.migrations[0]!.statements[0]!;
    s.strongestLocks = [{ relation: 'events', mode: 'AccessExclusiveLock' }];
    s.lockHeldMs = 125_000;
    addImpactAtProductionRate(report.migrations, stats, 'prod-stats.json');
    ReportSchema.parse(report);
    expect(report.migrations[0]!.statements[0]!.atProductionRate).toHaveLength(1);
    expect(renderTerminal(report)).toContain('queues about 287,500 queries; all 100 connections wait after 43 ms');
    expect(renderMarkdown(report)).toMatch(/### At production's rate \(estimates\)\n\n- `\d+#1` at production's 2,300 queries\/s on public\.events/);
  });
});
