import type pg from 'pg';
import { connectFor } from '../core/client.ts';
import { describeError, infraError } from '../core/errors.ts';
import { loadSqlParser, readStatementText, tablesNamed } from './statement-text.ts';
import type { ActivityProfile, DurationDistribution, OpenTransaction, SkippedStatements, TrafficSection, TrafficStatement } from './traffic-schema.ts';

/**
 * `rehearse stats --window`: what the applications send, over a window. Two reads of
 * pg_stat_statements (this database's entries; the figures are the deltas), and pg_stat_activity
 * sampled in between (connections per application_name, how long transactions stay open and idle
 * in transaction, the tables their statements named). Read-only; no literal leaves this module:
 * statement texts are the normalized ones (a text still carrying a constant is counted, not kept),
 * pg_stat_activity's texts (literal) are parsed for table names only.
 */
export interface TrafficOptions {
  windowMs: number;
  /** pg_stat_activity every this many ms (default 100) */
  sampleMs?: number;
  /** read pg_stat_statements (default true); false: the activity profile only */
  statements?: boolean;
  now?: () => Date;
}

/** Every query this module sends carries it, so its own statements are left out of the file. */
export const OWN_MARK = 'rehearse-stats';
const OWN = `/* ${OWN_MARK} */`;

/** One pg_stat_statements row: cumulative counters. */
export interface StatementCounters {
  queryid: string;
  role: string | null;
  query: string | null;
  calls: number;
  rows: number;
  totalMs: number;
  toplevel: boolean;
}

/** Why pg_stat_statements cannot be read, as one message with how to enable it; null when it can. */
export async function statementsAccess(client: pg.Client): Promise<string | null> {
  const LOAD =
    "add it to shared_preload_libraries (shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, then a restart; on the managed services it is on by default)";
  const r = (
    await client.query<{ installed: boolean; privileged: boolean; role: string }>(
      `SELECT ${OWN} EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed,
              (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS privileged,
              current_user AS role`,
    )
  ).rows[0]!;
  // shared_preload_libraries is readable with pg_read_all_settings only: unknown otherwise
  const loaded = await client
    .query<{ libs: string }>(`SELECT ${OWN} current_setting('shared_preload_libraries') AS libs`)
    .then((res) => res.rows[0]!.libs.split(',').some((l) => l.trim().replace(/"/g, '') === 'pg_stat_statements'))
    .catch(() => null);
  if (!r.installed) {
    if (loaded === true)
      return 'pg_stat_statements is loaded but not created in this database: run CREATE EXTENSION pg_stat_statements (as its owner or a superuser)';
    return `pg_stat_statements is ${loaded === false ? 'not loaded' : 'not created in this database'}: ${LOAD}, then CREATE EXTENSION pg_stat_statements in this database`;
  }
  // created but not preloaded: reading the view fails (55000)
  const readable = await client.query(`SELECT ${OWN} 1 FROM pg_stat_statements LIMIT 1`).then(
    () => null,
    (err: Error) => err.message,
  );
  if (readable !== null) return `pg_stat_statements cannot be read (${readable}): ${LOAD}`;
  if (!r.privileged)
    return `role ${r.role} may not read other roles' statements in pg_stat_statements: GRANT pg_read_all_stats TO ${r.role} (or run rehearse stats as a role that has it)`;
  return null;
}

/** This database's pg_stat_statements entries now. */
export async function readStatementCounters(client: pg.Client): Promise<StatementCounters[]> {
  const num = Number((await client.query<{ n: string }>(`SELECT ${OWN} current_setting('server_version_num') AS n`)).rows[0]!.n);
  const total = num >= 130000 ? 'total_exec_time' : 'total_time';
  const toplevel = num >= 140000 ? 's.toplevel' : 'true';
  const res = await client.query<{ queryid: string; role: string | null; query: string | null; calls: string; rows: string; total: number; toplevel: boolean }>(
    `SELECT ${OWN} s.queryid::text AS queryid, r.rolname AS role, s.query, s.calls::text AS calls, s.rows::text AS rows,
            s.${total}::float8 AS total, ${toplevel} AS toplevel
       FROM pg_stat_statements s
       LEFT JOIN pg_roles r ON r.oid = s.userid
      WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.queryid IS NOT NULL`,
  );
  return res.rows.map((r) => ({
    queryid: r.queryid,
    role: r.role,
    query: r.query,
    calls: Number(r.calls),
    rows: Number(r.rows),
    totalMs: r.total,
    toplevel: r.toplevel,
  }));
}

const entryKey = (c: StatementCounters) => `${c.queryid}/${c.role ?? ''}/${c.toplevel}`;

/**
 * The statements of a window from two reads: per queryid, the deltas of calls, rows and time over
 * every role's top-level entry; utility statements, the tool's own and texts still carrying a
 * constant left out and counted. Pure (the parser loaded: `loadSqlParser()`).
 */
export function statementsOfWindow(
  before: StatementCounters[],
  after: StatementCounters[],
  windowMs: number,
  applications: Map<string, Set<string>> = new Map(),
): { statements: TrafficStatement[]; skipped: SkippedStatements } {
  const first = new Map(before.map((c) => [entryKey(c), c]));
  const byId = new Map<string, { query: string; calls: number; rows: number; totalMs: number; roles: Set<string> }>();
  for (const c of after) {
    if (!c.toplevel) continue;
    const b = first.get(entryKey(c));
    // an entry whose calls went down was evicted and made again in the window: all of it is new
    const base = b && b.calls <= c.calls ? b : undefined;
    const calls = c.calls - (base?.calls ?? 0);
    if (calls <= 0) continue;
    const agg = byId.get(c.queryid) ?? { query: c.query ?? '', calls: 0, rows: 0, totalMs: 0, roles: new Set<string>() };
    agg.calls += calls;
    agg.rows += c.rows - (base?.rows ?? 0);
    agg.totalMs += c.totalMs - (base?.totalMs ?? 0);
    if (c.role) agg.roles.add(c.role);
    if (!agg.query && c.query) agg.query = c.query;
    byId.set(c.queryid, agg);
  }
  const skipped: SkippedStatements = { utility: 0, own: 0, withConstants: 0, unparsable: 0 };
  const statements: TrafficStatement[] = [];
  for (const [queryid, a] of byId) {
    if (a.query.includes(OWN_MARK)) {
      skipped.own++;
      continue;
    }
    // '<insufficient privilege>' and empty texts: nothing the parser reads
    const reading = readStatementText(a.query);
    if (reading.kind !== 'statement') {
      skipped[reading.kind]++;
      continue;
    }
    const apps = [...(applications.get(queryid) ?? [])].sort();
    statements.push({
      queryid,
      text: reading.text,
      command: reading.command,
      calls: a.calls,
      callsPerSec: round3((a.calls * 1000) / windowMs),
      rowsPerCall: round3(a.rows / a.calls),
      meanMs: round3(a.totalMs / a.calls),
      ...(a.roles.size ? { roles: [...a.roles].sort() } : {}),
      ...(apps.length ? { applications: apps } : {}),
      ...(reading.tables.length ? { tables: reading.tables } : {}),
    });
  }
  statements.sort((x, y) => y.calls - x.calls || x.queryid.localeCompare(y.queryid));
  return { statements, skipped };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** One pg_stat_activity row of a client backend of this database. */
export interface ActivityRow {
  pid: number;
  application: string;
  state: string | null;
  xactStartMs: number | null;
  stateChangeMs: number | null;
  queryId: string | null;
  query: string | null;
  nowMs: number;
}

async function readActivity(client: pg.Client, serverVersionNum: number): Promise<ActivityRow[]> {
  // pg_stat_activity.query_id: PostgreSQL 14+ (set while pg_stat_statements computes query ids)
  const queryIdColumn = serverVersionNum >= 140000 ? 'query_id::text' : 'NULL::text';
  const res = await client.query<{
    pid: number;
    application_name: string;
    state: string | null;
    xact_start: number | null;
    state_change: number | null;
    query_id: string | null;
    query: string | null;
    now: number;
  }>(
    `SELECT ${OWN} pid, application_name, state,
            extract(epoch FROM xact_start)::float8 * 1000 AS xact_start,
            extract(epoch FROM state_change)::float8 * 1000 AS state_change,
            ${queryIdColumn} AS query_id, query, extract(epoch FROM clock_timestamp())::float8 * 1000 AS now
       FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
        AND application_name NOT LIKE 'rehearse/stats%'`,
  );
  return res.rows.map((r) => ({
    pid: r.pid,
    application: r.application_name ?? '',
    state: r.state,
    xactStartMs: r.xact_start,
    stateChangeMs: r.state_change,
    queryId: r.query_id,
    query: r.query,
    nowMs: r.now,
  }));
}

interface SeenTransaction {
  application: string;
  startMs: number;
  lastSeenMs: number;
  idleMs: number;
  tables: Set<string>;
}

/** Folds pg_stat_activity samples into the activity profile, and the applications seen running each queryid. */
export class ActivityProfiler {
  private samples = 0;
  private readonly perApp = new Map<string, { max: number; sum: number; activeSum: number }>();
  private maxConnections = 0;
  private readonly transactions = new Map<string, SeenTransaction>();
  private readonly tablesByText = new Map<string, string[]>();
  readonly applications = new Map<string, Set<string>>();

  constructor(private readonly sampleMs: number) {}

  add(rows: ActivityRow[]): void {
    this.samples++;
    const counts = new Map<string, { n: number; active: number }>();
    for (const r of rows) {
      const c = counts.get(r.application) ?? { n: 0, active: 0 };
      c.n++;
      if (r.state && r.state !== 'idle') c.active++;
      counts.set(r.application, c);
      // the running query's id, or (idle) the last one's
      if (r.queryId && r.queryId !== '0') {
        const apps = this.applications.get(r.queryId) ?? new Set<string>();
        if (r.application) apps.add(r.application);
        this.applications.set(r.queryId, apps);
      }
      if (r.xactStartMs === null) continue;
      const key = `${r.pid}/${r.xactStartMs}`;
      const t = this.transactions.get(key) ?? { application: r.application, startMs: r.xactStartMs, lastSeenMs: r.nowMs, idleMs: 0, tables: new Set<string>() };
      t.lastSeenMs = r.nowMs;
      if (r.state?.startsWith('idle in transaction') && r.stateChangeMs !== null) t.idleMs = Math.max(t.idleMs, r.nowMs - r.stateChangeMs);
      for (const table of this.tablesOf(r.query)) t.tables.add(table);
      this.transactions.set(key, t);
    }
    for (const [app, c] of counts) {
      const a = this.perApp.get(app) ?? { max: 0, sum: 0, activeSum: 0 };
      a.max = Math.max(a.max, c.n);
      a.sum += c.n;
      a.activeSum += c.active;
      this.perApp.set(app, a);
    }
    this.maxConnections = Math.max(this.maxConnections, rows.length);
  }

  /** The tables a (literal) text names; the text itself is never kept. */
  private tablesOf(query: string | null): string[] {
    if (!query || query.includes(OWN_MARK) || query === '<insufficient privilege>') return [];
    let tables = this.tablesByText.get(query);
    if (!tables) {
      tables = tablesNamed(query).filter((t) => !t.startsWith('pg_catalog.') && !/^public\.pg_/.test(t));
      if (this.tablesByText.size > 10_000) this.tablesByText.clear();
      this.tablesByText.set(query, tables);
    }
    return tables;
  }

  profile(): ActivityProfile {
    const n = Math.max(1, this.samples);
    const seen = [...this.transactions.values()].map((t) => ({ ...t, openMs: Math.max(0, t.lastSeenMs - t.startMs) }));
    const longest: OpenTransaction[] = seen
      .sort((a, b) => b.openMs - a.openMs)
      .slice(0, 10)
      .map((t) => ({ application: t.application, openMs: Math.round(t.openMs), idleInTransactionMs: Math.round(t.idleMs), tables: [...t.tables].sort() }));
    return {
      samples: this.samples,
      sampleMs: this.sampleMs,
      connections: [...this.perApp.entries()]
        .map(([application, a]) => ({ application, max: a.max, mean: round3(a.sum / n), meanActive: round3(a.activeSum / n) }))
        .sort((a, b) => b.max - a.max || a.application.localeCompare(b.application)),
      maxConnections: this.maxConnections,
      transactions: {
        open: distribution(seen.map((t) => t.openMs)),
        idleInTransaction: distribution(seen.filter((t) => t.idleMs > 0).map((t) => t.idleMs)),
      },
      longest,
    };
  }
}

/** p50/p95/max (nearest rank) of durations, rounded to the millisecond. */
export function distribution(values: number[]): DurationDistribution {
  if (!values.length) return { count: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return { count: sorted.length, p50Ms: Math.round(rank(0.5)), p95Ms: Math.round(rank(0.95)), maxMs: Math.round(sorted.at(-1)!) };
}

/**
 * Watch the database for `windowMs`: pg_stat_statements read at both ends (when it can be read;
 * otherwise `statementsUnavailable` says how to enable it), pg_stat_activity every `sampleMs`.
 */
export async function collectTraffic(url: string, options: TrafficOptions): Promise<TrafficSection> {
  const sampleMs = options.sampleMs ?? 100;
  const client = await connectFor(url, 'stats', 'to read the traffic', 'check the --database-url (host, port, user, password, database)', {
    options: '-c default_transaction_read_only=on',
  });
  try {
    await loadSqlParser();
    const num = Number((await client.query<{ n: string }>(`SELECT ${OWN} current_setting('server_version_num') AS n`)).rows[0]!.n);
    const wantStatements = options.statements ?? true;
    const unavailable = wantStatements ? await statementsAccess(client) : null;
    const readStatements = wantStatements && !unavailable;
    const before = readStatements ? await readStatementCounters(client) : [];
    // the window: from the first read's answer to the second read's request
    const startedAt = (options.now?.() ?? new Date()).toISOString();
    const t0 = performance.now();
    const profiler = new ActivityProfiler(sampleMs);
    while (performance.now() - t0 < options.windowMs) {
      const tick = performance.now();
      profiler.add(await readActivity(client, num));
      const left = options.windowMs - (performance.now() - t0);
      await sleep(Math.max(0, Math.min(left, sampleMs - (performance.now() - tick))));
    }
    const windowMs = Math.round(performance.now() - t0);
    const after = readStatements ? await readStatementCounters(client) : [];
    const section: TrafficSection = { startedAt, windowMs, activity: profiler.profile() };
    if (readStatements) {
      const { statements, skipped } = statementsOfWindow(before, after, windowMs, profiler.applications);
      section.statements = statements;
      section.skipped = skipped;
    } else if (unavailable) {
      section.statementsUnavailable = unavailable;
    }
    return section;
  } catch (err) {
    throw infraError(`reading the traffic failed: ${describeError(err)}`, undefined, err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
