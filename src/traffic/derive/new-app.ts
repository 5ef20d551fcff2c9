import { fingerprintSync, parseSync } from 'libpg-query';
import type { TrafficStatement } from '../../stats/index.ts';

/**
 * The new version's statements (`rehearse capture`) against production's (`rehearse stats
 * --window`): each new statement gets the production rate of the statement it replaces, or a
 * stated default. The parser must be loaded (`loadSqlParser()` of src/stats/statement-text.ts).
 *
 * A new statement matches, in this order (the first that finds one decides):
 * 1. `queryid` — the same pg_stat_statements queryid (the same statement on the same objects);
 * 2. `statement` — the same libpg-query fingerprint of the normalized text (the same statement
 *    written differently: spacing, parameter numbers, IN-list lengths, the select list's order);
 * 3. `shape` — the same statement but for the columns it reads or writes (select list, SET list,
 *    INSERT's columns and values, RETURNING): the new version reading a new column;
 * 4. `tables` — the same command (SELECT, INSERT, …) on the same set of tables.
 * Where several production statements match at 3 or 4, the busiest is taken (and the basis says
 * how many there were). A production statement may be matched by several new ones: each gets its rate.
 */
export type MatchKind = 'queryid' | 'statement' | 'shape' | 'tables';

export interface NewStatementRate {
  statement: TrafficStatement;
  /** the production statement it was matched with, and how; null: none, the default rate */
  match: { queryid: string; kind: MatchKind; text: string; candidates: number } | null;
  /** executions per second before any --scale: the production statement's, or the default */
  rate: number;
  /** one line for the YAML comment saying where the rate came from */
  basis: string;
}

/** The rate of a new statement no production statement matches (executions per second). */
export const DEFAULT_NEW_RATE = 1;

export interface MatchOptions {
  /** the rate of a new statement without a match (default DEFAULT_NEW_RATE) */
  defaultRate?: number;
}

const HOW: Record<MatchKind, string> = {
  queryid: 'the same queryid as',
  statement: 'the same statement as',
  shape: 'the same statement but for the columns it reads or writes as',
  tables: 'the same command on the same tables as',
};

export function matchNewStatements(production: TrafficStatement[], captured: TrafficStatement[], options: MatchOptions = {}): NewStatementRate[] {
  const defaultRate = options.defaultRate ?? DEFAULT_NEW_RATE;
  const keyed = production.map((p) => ({ p, keys: keysOf(p) }));
  return captured.map((statement) => {
    const keys = keysOf(statement);
    for (const kind of ['queryid', 'statement', 'shape', 'tables'] as const) {
      const key = keys[kind];
      if (key === null) continue;
      const candidates = keyed.filter((k) => k.keys[kind] === key).map((k) => k.p);
      if (candidates.length === 0) continue;
      const best = candidates.reduce((a, b) => (b.callsPerSec > a.callsPerSec ? b : a));
      const others = candidates.length > 1 ? ` (the busiest of ${candidates.length})` : '';
      return {
        statement,
        match: { queryid: best.queryid, kind, text: best.text, candidates: candidates.length },
        rate: best.callsPerSec,
        basis: `new: ${HOW[kind]} production's queryid ${best.queryid}${others}: its rate, ${best.callsPerSec}/s`,
      };
    }
    return {
      statement,
      match: null,
      rate: defaultRate,
      basis: `new: no production statement matches (not by queryid, text, shape or tables): the default rate, ${defaultRate}/s`,
    };
  });
}

interface Keys {
  queryid: string;
  statement: string | null;
  shape: string | null;
  tables: string | null;
}

function keysOf(s: TrafficStatement): Keys {
  let statement: string | null = null;
  let shape: string | null = null;
  try {
    statement = fingerprintSync(s.text);
  } catch {
    // the parser cannot read it: only its queryid and tables can match
  }
  try {
    const tree = parseSync(s.text).stmts?.[0]?.stmt;
    if (tree) shape = JSON.stringify(withoutColumns(tree));
  } catch {
    // as above
  }
  const tables = s.command && s.tables?.length ? `${s.command} ${[...s.tables].sort().join(',')}` : null;
  return { queryid: s.queryid, statement, shape, tables };
}

/** Parts of a statement that name the columns read or written, and positions: left out of its shape. */
const COLUMN_PARTS = new Set(['targetList', 'cols', 'valuesLists', 'returningList', 'location', 'stmt_location', 'stmt_len']);

/** The parse tree without its column lists and positions; parameter numbers as 0 (pure). */
export function withoutColumns(tree: unknown): unknown {
  if (Array.isArray(tree)) return tree.map(withoutColumns);
  if (!tree || typeof tree !== 'object') return tree;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree as Record<string, unknown>)) {
    if (COLUMN_PARTS.has(k)) continue;
    if (k === 'ParamRef') {
      out[k] = { number: 0 };
      continue;
    }
    out[k] = withoutColumns(v);
  }
  return out;
}
