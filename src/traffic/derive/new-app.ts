import { fingerprintSync, parseSync } from 'libpg-query';
import type { StatsFile, TrafficStatement } from '../../stats/index.ts';
import { bindStatement } from './bind.ts';
import type { DerivedApp, DerivedQuery, SkippedStatement } from './types.ts';

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

export interface NewAppOptions extends MatchOptions {
  /** multiply every rate by this (as app old's) */
  scale?: number;
  /** app old's clients: the new version takes over the same connections */
  clients: number;
  /** the file the statements came from, named in the YAML */
  source?: string;
}

/**
 * App `new` of a derived workload: every captured statement (no coverage cut: they are what the
 * new version sends), at the rate of the production statement it matches × scale, or the default;
 * its parameters bound as app old's are (from the production file's tables). A statement that
 * cannot be bound is listed with the reason, as old's are. Pure (the parser loaded).
 */
export function deriveNewApp(
  production: TrafficStatement[],
  captured: TrafficStatement[],
  tables: StatsFile['tables'],
  options: NewAppOptions,
): { app: DerivedApp; skipped: SkippedStatement[]; summary: string } {
  const scale = options.scale ?? 1;
  const rated = matchNewStatements(production, captured, options);
  const queries: DerivedQuery[] = [];
  const skipped: SkippedStatement[] = [];
  const names = new Set<string>();
  for (const r of rated) {
    const s = r.statement;
    const binding = bindStatement(s, tables);
    if ('reason' in binding) {
      skipped.push({ queryid: s.queryid, text: s.text, callsPerSec: r.rate, reason: `app new: ${binding.reason}` });
      continue;
    }
    queries.push({
      name: newQueryName(queries.length + skipped.length + 1, s, names),
      sql: binding.sql,
      params: binding.params,
      rate: rateOf(r.rate * scale),
      queryid: s.queryid,
      basis: [`${r.basis}${scale !== 1 ? ` (× ${scale})` : ''}`, ...binding.notes],
    });
  }
  const count = (kind: MatchKind | null) => rated.filter((r) => (r.match?.kind ?? null) === kind).length;
  const matched = rated.length - count(null);
  const by = (['queryid', 'statement', 'shape', 'tables'] as const).filter((k) => count(k) > 0).map((k) => `${count(k)} by ${k}`);
  const defaultRate = options.defaultRate ?? DEFAULT_NEW_RATE;
  const summary =
    `App new: the ${rated.length} statements of ${options.source ?? 'the captured file'} (rehearse capture): ` +
    `${matched} at the production rate of the statement each matches${by.length ? ` (${by.join(', ')})` : ''}, ` +
    `${count(null)} new at the default ${defaultRate}/s (--new-rate); each query's comment says which.`;
  const app: DerivedApp = {
    name: 'new',
    role: 'new',
    clients: options.clients,
    clientsBasis: "as app old's: the new version takes over production's connections",
    queries,
  };
  return { app, skipped, summary };
}

/** A rate the workload file takes: positive, at most 100,000/s, three decimals. */
const rateOf = (r: number) => Math.min(100_000, Math.max(0.001, Math.round(r * 1000) / 1000));

function newQueryName(rank: number, s: TrafficStatement, names: Set<string>): string {
  const table = (s.tables?.[0] ?? '').replace(/^public\./, '').replace(/[^A-Za-z0-9_]/g, '_');
  const base = `n${String(rank).padStart(2, '0')}_${(s.command ?? 'query').toLowerCase()}${table ? `_${table}` : ''}`.slice(0, 40);
  let name = base;
  for (let i = 2; names.has(name); i++) name = `${base}_${i}`;
  names.add(name);
  return name;
}
