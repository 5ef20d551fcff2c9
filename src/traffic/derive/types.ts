import type { TrafficStatement } from '../../stats/index.ts';

/**
 * A workload derived from a statistics file's traffic section (`rehearse workload --from`), as
 * plain data: what the YAML will say, each figure with its basis (the YAML's comments).
 */

/** A parameter as the workload file writes it (docs/workload.md, Parameters). */
export type ParamYaml =
  | string
  | number
  | boolean
  | null
  | { int: [number, number] }
  | { pick: (string | number | boolean | null)[] }
  | { sample: string }
  | { uuid: true }
  | { text: number };

export interface DeriveOptions {
  /** keep the commonest statements until they make this share of calls (default 0.95) */
  coverage?: number;
  /** and at most this many */
  top?: number;
  /** multiply every rate (and the clients) by this (default 1) */
  scale?: number;
  /** at most this many clients per app (default 100) */
  maxClients?: number;
  /** the file the statistics came from, named in the YAML's header */
  source?: string;
  /**
   * The new version's statements (`rehearse capture`, in the same form as the stats file's):
   * when given, an app `new` is derived too, each statement at the rate of the production
   * statement it matches (same queryid, or same tables and shape) or a stated default.
   */
  newApp?: TrafficStatement[];
  /** the rate of a new statement that matches none of production's (default DEFAULT_NEW_RATE, 1/s) */
  newRate?: number;
  /** the file the new statements came from, named in the YAML */
  newSource?: string;
}

/** One derived query: the workload's query plus where its figures came from. */
export interface DerivedQuery {
  name: string;
  sql: string;
  params: ParamYaml[];
  /** executions per second */
  rate: number;
  /** the statement it was derived from */
  queryid: string;
  /** the YAML comment above it: the production figures, and what was inferred */
  basis: string[];
}

export interface DerivedApp {
  name: string;
  role: 'old' | 'new';
  clients: number;
  /** why that many clients */
  clientsBasis: string;
  queries: DerivedQuery[];
}

export interface DerivedBackground {
  name: string;
  app: string;
  /** a duration the workload file reads ('0s') */
  at: string;
  steps: string[];
  basis: string;
}

/** A statement that could not be bound, listed in the YAML with the reason (never dropped silently). */
export interface SkippedStatement {
  queryid: string;
  text: string;
  callsPerSec: number;
  reason: string;
}

export interface DerivedWorkload {
  apps: DerivedApp[];
  background: DerivedBackground[];
  skipped: SkippedStatement[];
  /** the header: window, coverage, what was left out and why */
  summary: string[];
}
