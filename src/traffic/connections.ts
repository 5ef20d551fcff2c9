import type { Workload } from './types.ts';

/** Connections the rehearsal's own machinery holds besides the apps: the sampler, the replay's
 *  migration and lock-reading connections, the probes' setup connection and their fresh-connection
 *  check, value sampling, cancelling at stop, schema introspection and the command-mode capture. */
export const TOOL_CONNECTIONS = 10;

/** How many connections a rehearsal of this workload holds open at once, and for what. */
export interface ConnectionNeed {
  total: number;
  /** every app's clients */
  clients: number;
  background: number;
  /** a log's sessions open at once */
  sessions: number;
  /** the tool's own, and a long-lived probe connection per app with prepared queries */
  tool: number;
}

/**
 * Connections a rehearsal holds open at once: every app's clients, one per background
 * transaction, the tool's own (TOOL_CONNECTIONS, plus a probe connection per prepared app), and
 * for apps with a connectionLifetime a tenth of their clients (a recycled connection's backend
 * may still be exiting while its replacement connects).
 */
export function connectionsNeeded(workload: Workload): ConnectionNeed {
  const clients = workload.apps.reduce((n, a) => n + a.clients, 0);
  const recycling = workload.apps.reduce((n, a) => n + (a.connectionLifetimeMs !== null ? Math.ceil(a.clients / 10) : 0), 0);
  const background = workload.background.length;
  const tool = TOOL_CONNECTIONS + workload.apps.filter((a) => a.queries.some((q) => q.prepared)).length + recycling;
  const sessions = peakSessions(workload);
  return { total: clients + background + sessions + tool, clients, background, sessions, tool };
}

/** A log's sessions open at once: all of them as fast as possible, else the peak of the schedule (each connected 1 s early, kept 1 s late). */
function peakSessions(workload: Workload): number {
  const sessions = workload.sessions ?? [];
  if (sessions.length === 0 || workload.replay?.speed === 0) return sessions.length;
  const edges = sessions.flatMap((s) => [
    [s.atMs - 1000, 1],
    [s.endMs + 1000, -1],
  ]);
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (open += d!));
  return peak;
}

/** '612 connections (600 app clients, 2 background transactions, 10 for the tool)' */
export const describeNeed = (need: ConnectionNeed) =>
  `${need.total} connections (${need.clients} app clients, ${need.background} background transaction${need.background === 1 ? '' : 's'}, ${need.sessions ? `${need.sessions} logged sessions, ` : ''}${need.tool} for the tool)`;
