import type { EntrySink, LogEntry, Unreadable } from './entries.ts';

/**
 * The sessions of a log: what each connection ran, in order, with the time it was logged. Reads
 * log_statement's `statement: …`, the extended protocol's `execute <name>: …` with its
 * `DETAIL: parameters: $1 = '…'`, log_connections' `connection authorized: …` (and the
 * application_name it names), log_disconnections' `disconnection: …`. Everything else is counted
 * as skipped, by reason.
 */

export interface LoggedStatement {
  line: number;
  time: number;
  /** as logged: literals included (never leaves the traffic stage) */
  sql: string;
  /** the extended protocol's parameters (text; null for NULL); null: the simple protocol */
  params: (string | null)[] | null;
}

export interface LoggedSession {
  id: string;
  user: string;
  database: string;
  application: string | null;
  connectedAt: number | null;
  disconnectedAt: number | null;
  statements: LoggedStatement[];
}

export const SKIP = {
  connection: 'connection and disconnection lines',
  duration: 'duration lines (log_duration, log_min_duration_statement)',
  parseBind: 'parse and bind lines (the execute line is replayed)',
  errors: 'errors, warnings and notices',
  other: 'other messages (checkpoints, autovacuum, …)',
  ownSessions: "pg-rehearse's own sessions",
  otherDatabase: 'statements of other databases',
} as const;

export class SessionCollector implements EntrySink {
  readonly sessions = new Map<string, LoggedSession>();
  readonly skipped: Record<string, number> = {};
  readonly unreadables: Unreadable[] = [];
  unreadableCount = 0;
  entries = 0;

  entry(e: LogEntry): void {
    this.entries += 1;
    const skipped = this.take(e);
    if (skipped) this.skip(skipped);
  }

  /** Keep what the entry says of its session; returns why it is skipped, if it is. */
  private take(e: LogEntry): string | null {
    if (e.severity !== 'LOG') return SKIP.errors;
    const m = e.message;
    if (m.startsWith('statement: ')) {
      this.statement(e, m.slice(11), null);
      return null;
    }
    const exec = /^execute (?:fetch from )?[^:]*: ([\s\S]*)$/.exec(m);
    if (exec) {
      const params = e.detail?.startsWith('parameters: ') ? parseParameters(e.detail.slice(12)) : [];
      if (params === null) this.unreadable({ line: e.line, why: "the execute line's DETAIL: parameters cannot be read (cut short?)" });
      else this.statement(e, exec[1]!, params);
      return null;
    }
    if (m.startsWith('connection authorized: ')) {
      const s = this.session(e);
      s.connectedAt ??= e.time;
      const app = /\bapplication_name=(.*?)(?: SSL enabled| GSS| \(|$)/.exec(m)?.[1];
      if (app !== undefined && app !== '') s.application = app;
      return SKIP.connection;
    }
    if (m.startsWith('disconnection: ')) {
      this.session(e).disconnectedAt = e.time;
      return SKIP.connection;
    }
    if (m.startsWith('connection received: ') || m.startsWith('connection authenticated: ')) return SKIP.connection;
    if (m.startsWith('duration: ')) return SKIP.duration;
    if (/^(parse|bind) [^:]*: /.test(m)) return SKIP.parseBind;
    return SKIP.other;
  }

  unreadable(u: Unreadable): void {
    this.unreadableCount += 1;
    if (this.unreadables.length < 5) this.unreadables.push(u);
  }

  skip(reason: string, n = 1): void {
    if (n > 0) this.skipped[reason] = (this.skipped[reason] ?? 0) + n;
  }

  private statement(e: LogEntry, sql: string, params: (string | null)[] | null): void {
    this.session(e).statements.push({ line: e.line, time: e.time, sql, params });
  }

  private session(e: LogEntry): LoggedSession {
    let s = this.sessions.get(e.session);
    if (!s) {
      s = { id: e.session, user: e.user, database: e.database, application: null, connectedAt: null, disconnectedAt: null, statements: [] };
      this.sessions.set(e.session, s);
    }
    if (e.application) s.application = e.application;
    if (!s.database && e.database) s.database = e.database;
    return s;
  }
}

/** "$1 = '5', $2 = NULL, $3 = 'it''s'" → ['5', null, "it's"] (by number); null when it cannot be read. */
export function parseParameters(text: string): (string | null)[] | null {
  const values: (string | null)[] = [];
  const re = /\$(\d+) = (?:NULL|'((?:[^']|'')*)')(?:, |$)/y;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return null;
    values[Number(m[1]) - 1] = m[2] === undefined ? null : m[2].replaceAll("''", "'");
    at = re.lastIndex;
  }
  for (let i = 0; i < values.length; i++) if (values[i] === undefined) values[i] = null;
  return values;
}
