import { loadModule } from 'libpg-query';
import { usageError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { TrafficSource } from '../source.ts';
import type { AppSpec, QuerySpec, ScheduledStatement, SessionSpec, Workload } from '../types.ts';
import { readLogFile } from './read.ts';
import { isDml, literalsOf, normalizeStatement } from './redact.ts';
import { type LoggedSession, SessionCollector, SKIP } from './sessions.ts';

export interface LogSourceOptions {
  /** replay the statements of this database (default: the one with most statements) */
  database?: string;
  /** offsets are divided by it; 0: as fast as possible */
  speed: number;
  /** one app per application_name instead of one app 'log' */
  byApplication: boolean;
}

/** The tool's own sessions carry application_name rehearse/… (src/observe/names.ts). */
const OWN = 'rehearse/';
const UNPARSED = '(a statement PostgreSQL cannot parse)';

/**
 * A captured PostgreSQL log as a traffic source: each logged session becomes a scheduled session
 * (its own connection, its statements at their offsets from the first statement), and the log
 * one app, `log` (or one per application_name), whose queries are its distinct normalized
 * statements. Bad input: an empty log, a first line of no known format, nothing left to replay
 * are usage errors (exit 2); unreadable entries are counted and warned about.
 */
export function logSource(file: string, options: LogSourceOptions): TrafficSource {
  return {
    file,
    async read(log: Logger): Promise<Workload> {
      await loadModule();
      const collector = new SessionCollector();
      const { format, lines } = await readLogFile(file, collector);
      if (!format) throw usageError(`${file}: the log is empty`, "capture one with log_statement = 'all' (docs/workload.md, Replaying a log)");
      const sessions = keptSessions(file, collector, options, log);
      const unreadable = { count: collector.unreadableCount, first: collector.unreadables[0] ?? null };
      if (unreadable.first)
        log.warn(
          `${file}: ${unreadable.count} entr${unreadable.count === 1 ? 'y' : 'ies'} could not be read and were skipped (first: line ${unreadable.first.line}: ${unreadable.first.why})`,
        );
      const workload = toWorkload(file, sessions, options);
      workload.replay = { file, format, speed: options.speed, windowMs: windowOf(sessions).ms, lines, skipped: collector.skipped, unreadable };
      const statements = workload.sessions!.reduce((n, s) => n + s.statements.length, 0);
      log.info(
        `${file}: ${statements} statements in ${workload.sessions!.length} sessions over ${Math.round(workload.replay?.windowMs ?? 0) / 1000} s (${format}), replayed ${options.speed === 0 ? 'as fast as possible' : options.speed === 1 ? 'at the original speed' : `at ${options.speed}x`}`,
      );
      return workload;
    },
  };
}

/** The sessions to replay: the chosen database's, not the tool's own, with statements; nothing left is a usage error. */
function keptSessions(file: string, collector: SessionCollector, options: LogSourceOptions, log: Logger): LoggedSession[] {
  const all = [...collector.sessions.values()];
  const own = all.filter((s) => s.application?.startsWith(OWN));
  collector.skip(
    SKIP.ownSessions,
    own.reduce((n, s) => n + s.statements.length, 0),
  );
  const theirs = all.filter((s) => !s.application?.startsWith(OWN) && s.statements.length > 0);
  const byDatabase = new Map<string, number>();
  for (const s of theirs) byDatabase.set(s.database, (byDatabase.get(s.database) ?? 0) + s.statements.length);
  const database = options.database ?? [...byDatabase].sort((a, b) => b[1] - a[1])[0]?.[0];
  const kept = theirs.filter((s) => s.database === database);
  collector.skip(
    SKIP.otherDatabase,
    theirs.filter((s) => s.database !== database).reduce((n, s) => n + s.statements.length, 0),
  );
  if (kept.length === 0) {
    const first = collector.unreadables[0];
    if (collector.entries === 0 && first)
      throw usageError(
        `${file}: nothing to replay: no entry could be read (${collector.unreadableCount}; first: line ${first.line}: ${first.why})`,
        'check the file is a whole log written with the settings in docs/workload.md (Replaying a log)',
      );
    if (options.database && byDatabase.size)
      throw usageError(`${file}: no statement of database ${options.database} in the log`, `it has statements of: ${[...byDatabase.keys()].join(', ')}`);
    throw usageError(
      `${file}: no statement to replay (${collector.entries} entries read, none a statement of a client session)`,
      "the log must be written with log_statement = 'all' (docs/workload.md, Replaying a log)",
    );
  }
  if (!options.database && byDatabase.size > 1)
    log.warn(
      `${file}: replaying the statements of database ${database} (the most); skipped those of ${[...byDatabase.keys()].filter((d) => d !== database).join(', ')} (--replay-database picks another)`,
    );
  return kept;
}

function windowOf(sessions: LoggedSession[]): { start: number; ms: number } {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const s of sessions)
    for (const st of s.statements) {
      if (st.time < start) start = st.time;
      if (st.time > end) end = st.time;
    }
  return { start, ms: Math.max(0, end - start) };
}

/** App names are [A-Za-z0-9_.-] and short (the application_name tag fits 63 bytes). */
const appName = (application: string | null) => (application ?? '').replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 24) || 'log';

/** The sessions on the log's window, and an app (clients 0: the sessions are its connections) per application. */
function toWorkload(file: string, sessions: LoggedSession[], options: LogSourceOptions): Workload {
  const { start } = windowOf(sessions);
  const apps = new Map<string, { spec: AppSpec; byText: Map<string, number>; bySql: Map<string, number> }>();
  const out: SessionSpec[] = [];
  sessions
    .sort((a, b) => a.statements[0]!.time - b.statements[0]!.time)
    .forEach((s, i) => {
      const name = options.byApplication ? appName(s.application) : 'log';
      let app = apps.get(name);
      if (!app) {
        app = {
          spec: { name, role: 'old', clients: 0, statementTimeoutMs: null, connectionLifetimeMs: null, queries: [] },
          byText: new Map(),
          bySql: new Map(),
        };
        apps.set(name, app);
      }
      const statements: ScheduledStatement[] = s.statements.map((st) => ({
        atMs: st.time - start,
        sql: st.sql,
        params: st.params,
        query: queryOf(app, st.sql, st.params, `${file}:${st.line}`),
        line: st.line,
      }));
      const first = s.statements[0]!.time;
      const last = Math.max(s.statements.at(-1)!.time, s.disconnectedAt ?? 0);
      out.push({
        name: `s${i + 1}`,
        app: name,
        atMs: Math.max(0, Math.min(first, s.connectedAt ?? first) - start),
        endMs: last - start,
        user: s.user,
        application: s.application,
        statements,
      });
    });
  return { file, apps: [...apps.values()].map((a) => a.spec), background: [], sessions: out };
}

/** The index of the statement's query in its app (one per normalized text), made on first sight. */
function queryOf(
  app: { spec: AppSpec; byText: Map<string, number>; bySql: Map<string, number> },
  sql: string,
  params: (string | null)[] | null,
  where: string,
): number {
  // the extended protocol repeats the same text: normalize it once
  const known = app.bySql.get(sql);
  if (known !== undefined) return known;
  const text = normalizeStatement(sql) ?? UNPARSED;
  let index = app.byText.get(text);
  if (index === undefined) {
    index = app.spec.queries.length;
    const dml = text !== UNPARSED && isDml(sql);
    const query: QuerySpec = {
      name: `q${index + 1}`,
      steps: [{ sql, params: (params ?? []).map((value) => ({ kind: 'const', value })) }],
      transaction: false,
      vars: [],
      rate: null,
      prepared: false,
      source: where,
      text,
      probe: dml,
      literals: literalsOf(sql, params),
    };
    app.spec.queries.push(query);
    app.byText.set(text, index);
  }
  app.bySql.set(sql, index);
  return index;
}
