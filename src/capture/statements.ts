import { loadModule, parseSync, scanSync } from 'libpg-query';
import { withClient } from '../core/client.ts';
import { describeError, infraError } from '../core/errors.ts';
import type { SkippedStatements, TrafficStatement } from '../stats/index.ts';

/**
 * pg_stat_statements on the rehearsal database: loaded on the server, created in the database and
 * reset right before the command, read right after it. Between the reset and the read the tool
 * runs nothing in that database, so every statement recorded there is the command's; the tool's
 * own (the reset) name pg_stat_statements and are left out, and so are utility statements (DDL,
 * SET, BEGIN/COMMIT, …): a workload replays what an application queries.
 */
export const EXTENSION = 'pg_stat_statements';

/** Node names of the statements an application's traffic is made of, and their command. */
const DML: Record<string, string> = {
  SelectStmt: 'SELECT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
};

/** One row of pg_stat_statements, as read (any version). */
export interface RecordedRow {
  queryid: string | null;
  query: string;
  calls: number;
  rows: number;
  totalMs: number;
  toplevel: boolean;
  role: string | null;
}

export interface Recorded {
  statements: TrafficStatement[];
  skipped: SkippedStatements;
}

/** Whether the server preloads pg_stat_statements (shared_preload_libraries). */
export async function statementsPreloaded(url: string): Promise<boolean> {
  return withClient(url, 'capture', async (client) => {
    const { rows } = await client.query<{ libs: string }>(`SELECT current_setting('shared_preload_libraries') AS libs`);
    return rows[0]!.libs.split(',').some((l) => l.trim().replace(/^"|"$/g, '') === EXTENSION);
  });
}

/** CREATE EXTENSION (when missing) in the rehearsal database and reset its counters: what is recorded from here on is the command's. */
export async function startRecording(url: string): Promise<void> {
  await withClient(url, 'capture', async (client) => {
    try {
      await client.query(`CREATE EXTENSION IF NOT EXISTS ${EXTENSION}`);
      await client.query(`SELECT ${EXTENSION}_reset()`);
    } catch (err) {
      throw infraError(
        `cannot use ${EXTENSION} in the rehearsal database: ${describeError(err)}`,
        `CREATE EXTENSION ${EXTENSION} needs a superuser (or the managed service's admin role), and reading other sessions' statements pg_read_all_stats`,
        err,
      );
    }
  });
}

/** The statements recorded in this database since the reset over `windowMs`, the tool's own and utility ones left out. */
export async function readRecorded(url: string, windowMs: number): Promise<Recorded> {
  await loadModule();
  // to_jsonb: the columns differ between versions (total_time → total_exec_time in 13, toplevel from 14)
  const rows = await withClient(url, 'capture', async (client) => {
    // queryid as text: a bigint does not fit a JS number
    const res = await client.query<{ j: Record<string, unknown>; queryid: string | null; role: string | null }>(
      `SELECT to_jsonb(s) AS j, s.queryid::text AS queryid, r.rolname AS role
         FROM ${EXTENSION} s LEFT JOIN pg_roles r ON r.oid = s.userid
        WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return res.rows;
  });
  return summarizeRecorded(
    rows.map(({ j, queryid, role }) => ({
      queryid,
      query: String(j.query ?? ''),
      calls: Number(j.calls ?? 0),
      rows: Number(j.rows ?? 0),
      totalMs: Number(j.total_exec_time ?? j.total_time ?? 0),
      toplevel: j.toplevel === undefined ? true : Boolean(j.toplevel),
      role,
    })),
    windowMs,
  );
}

/** Pure: the rows of pg_stat_statements → the application's statements (the parser loaded by the caller). */
export function summarizeRecorded(rows: RecordedRow[], windowMs: number): Recorded {
  const byId = new Map<string, { s: TrafficStatement; rows: number; totalMs: number }>();
  const skipped: SkippedStatements = { utility: 0, own: 0, withConstants: 0, unparsable: 0 };
  for (const r of rows) {
    if (!r.toplevel || r.queryid === null || r.calls <= 0) continue;
    if (r.query.toLowerCase().includes(EXTENSION)) {
      skipped.own++;
      continue;
    }
    const shape = statementShape(r.query);
    if (shape === null) {
      skipped.unparsable++;
      continue;
    }
    if (shape === 'utility') {
      skipped.utility++;
      continue;
    }
    if (carriesConstant(r.query)) {
      skipped.withConstants++;
      continue;
    }
    const seen = byId.get(r.queryid);
    if (seen) {
      seen.s.calls += r.calls;
      seen.rows += r.rows;
      seen.totalMs += r.totalMs;
      if (r.role && !seen.s.roles!.includes(r.role)) seen.s.roles!.push(r.role);
      continue;
    }
    const s: TrafficStatement = {
      queryid: r.queryid,
      text: r.query,
      command: shape.command,
      calls: r.calls,
      callsPerSec: 0,
      rowsPerCall: 0,
      meanMs: 0,
      roles: r.role ? [r.role] : [],
      tables: shape.tables,
    };
    byId.set(r.queryid, { s, rows: r.rows, totalMs: r.totalMs });
  }
  const seconds = Math.max(windowMs, 1) / 1000;
  const statements = [...byId.values()].map(({ s, rows, totalMs }) => ({
    ...s,
    callsPerSec: round(s.calls / seconds),
    rowsPerCall: round(rows / s.calls),
    meanMs: round(totalMs / s.calls),
  }));
  statements.sort((a, b) => b.calls - a.calls || a.text.localeCompare(b.text));
  return { statements, skipped };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The command and the tables of one DML statement; 'utility' for anything else; null when the parser cannot read it. */
export function statementShape(query: string): { command: string; tables: string[] } | 'utility' | null {
  let stmts;
  try {
    stmts = parseSync(query).stmts ?? [];
  } catch {
    return null;
  }
  const node = stmts.length === 1 ? (stmts[0]!.stmt as Record<string, unknown> | undefined) : undefined;
  const kind = node ? Object.keys(node)[0]! : '';
  const command = DML[kind];
  if (!command) return 'utility';
  return { command, tables: tablesOf(node) };
}

/** Relations a parse tree names (RangeVar), qualified (`public.` when unqualified), CTE names left out. */
export function tablesOf(tree: unknown): string[] {
  const ctes = new Set<string>();
  const tables = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const item of n) walk(item);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    const cte = o.CommonTableExpr as { ctename?: string } | undefined;
    if (cte?.ctename) ctes.add(cte.ctename);
    // a RangeVar, wrapped as a node (FROM) or bare (an INSERT/UPDATE/DELETE target)
    if (typeof o.relname === 'string') tables.add(typeof o.schemaname === 'string' ? `${o.schemaname}.${o.relname}` : o.relname);
    for (const v of Object.values(o)) walk(v);
  };
  walk(tree);
  return [...tables]
    .filter((t) => t.includes('.') || !ctes.has(t))
    .map((t) => (t.includes('.') ? t : `public.${t}`))
    .sort();
}

/**
 * A string or decimal constant left in a normalized text. pg_stat_statements replaces every constant
 * of a DML statement; what it leaves are integers of the query's shape (ORDER BY 1, varchar(255)),
 * not values, so those are let through.
 */
const VALUE_TOKENS = new Set(['SCONST', 'USCONST', 'FCONST', 'BCONST', 'XCONST']);
export function carriesConstant(query: string): boolean {
  try {
    return scanSync(query).tokens.some((t) => VALUE_TOKENS.has(t.tokenName));
  } catch {
    return true; // cannot tell: leave it out
  }
}
