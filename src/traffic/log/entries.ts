/**
 * A PostgreSQL log, read as entries whatever its format (stderr with pgreplay's prefix, csvlog,
 * jsonlog): one entry per logged message, its DETAIL attached. Nothing here interprets a message.
 */

export type LogFormat = 'stderr' | 'csvlog' | 'jsonlog';

/** The log_line_prefix a stderr log must be written with (pgreplay's). */
export const STDERR_PREFIX = '%m|%u|%d|%c|';

export interface LogEntry {
  /** 1-based line of the log where the entry starts */
  line: number;
  /** epoch ms */
  time: number;
  user: string;
  database: string;
  /** the session id (%c) */
  session: string;
  /** application_name, when the format carries it (csvlog, jsonlog) */
  application: string | null;
  /** LOG, ERROR, FATAL, … */
  severity: string;
  message: string;
  detail: string | null;
}

/** An entry that could not be read: where, and why (never the line's text: it may hold row values). */
export interface Unreadable {
  line: number;
  why: string;
}

export interface EntrySink {
  entry(e: LogEntry): void;
  unreadable(u: Unreadable): void;
}

/** Feeds a format's parser one physical line at a time. */
export interface EntryReader {
  push(text: string, line: number): void;
  end(): void;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?(?: ([A-Za-z]+|[+-]\d{2}(?::?\d{2})?))?$/;

/** '2026-12-06 19:41:27.123 UTC' → epoch ms (zone abbreviations other than UTC/GMT read as UTC: offsets within one log stay right). */
export function parseLogTime(text: string): number | null {
  const m = TIME.exec(text);
  if (!m) return null;
  const ms = Math.round(Number(m[7] ?? 0) * 1000);
  let t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  const zone = m[8];
  if (zone && /^[+-]/.test(zone)) {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  }
  return Number.isFinite(t) ? t : null;
}

// ─── stderr: '%m|%u|%d|%c|SEVERITY:  message', continuation lines start with a tab ───────────

const STDERR_LINE = /^(\d{4}-\d{2}-\d{2} [^|]+)\|([^|]*)\|([^|]*)\|([^|]*)\|([A-Z]+): {2}([\s\S]*)$/;
/** Severities that add to the entry before them (same session) rather than start one. */
const ATTACHED = new Set(['DETAIL', 'HINT', 'CONTEXT', 'STATEMENT', 'QUERY', 'LOCATION']);

export function stderrReader(sink: EntrySink): EntryReader {
  let current: LogEntry | null = null;
  let appendTo: 'message' | 'detail' | null = null;
  const flush = () => {
    if (current) sink.entry(current);
    current = null;
    appendTo = null;
  };
  return {
    push(text, line) {
      if (text.startsWith('\t')) {
        // a multi-line message: PostgreSQL writes each further line after a tab
        if (current && appendTo) current[appendTo] = `${current[appendTo] ?? ''}\n${text.slice(1)}`;
        return;
      }
      if (text.trim() === '') return;
      const m = STDERR_LINE.exec(text);
      const time = m ? parseLogTime(m[1]!) : null;
      if (!m || time === null) {
        flush();
        sink.unreadable({ line, why: whyNotStderr(text) });
        return;
      }
      const [, , user, database, session, severity, message] = m;
      if (ATTACHED.has(severity!)) {
        if (current && current.session === session) {
          if (severity === 'DETAIL') {
            current.detail = message!;
            appendTo = 'detail';
          } else appendTo = null;
        }
        return;
      }
      flush();
      current = { line, time, user: user!, database: database!, session: session!, application: null, severity: severity!, message: message!, detail: null };
      appendTo = 'message';
    },
    end: flush,
  };
}

function whyNotStderr(text: string): string {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(text)) return `the line does not start with log_line_prefix '${STDERR_PREFIX}' (a timestamp first)`;
  const bars = text.split('|').length - 1;
  if (bars < 4) return `the line ends before its prefix '${STDERR_PREFIX}' does (cut short?)`;
  return `the line has no 'SEVERITY:  message' after its prefix '${STDERR_PREFIX}' (cut short, or another log_line_prefix?)`;
}

// ─── csvlog: RFC 4180 records, fields may span lines ─────────────────────────────────────────

/** csvlog's columns (PostgreSQL 13–17; later columns are ignored). */
const CSV = { time: 0, user: 1, database: 2, session: 5, severity: 11, message: 13, detail: 14, application: 22 } as const;
const CSV_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? [^,]*,/;

export function csvReader(sink: EntrySink): EntryReader {
  let pending: { text: string; line: number } | null = null;
  const finish = (text: string, line: number) => {
    const fields = splitCsv(text);
    const time = fields ? parseLogTime(fields[CSV.time] ?? '') : null;
    if (!fields || fields.length < 14 || time === null) {
      sink.unreadable({ line, why: fields ? 'a csvlog record with too few fields or no timestamp (cut short?)' : 'an unterminated quoted field' });
      return;
    }
    sink.entry({
      line,
      time,
      user: fields[CSV.user]!,
      database: fields[CSV.database]!,
      session: fields[CSV.session]!,
      application: fields[CSV.application] ?? null,
      severity: fields[CSV.severity]!,
      message: fields[CSV.message]!,
      detail: fields[CSV.detail] || null,
    });
  };
  return {
    push(text, line) {
      if (pending) {
        // still inside a quoted field: a line that starts a new record means the last one was cut
        if (CSV_START.test(text)) {
          sink.unreadable({ line: pending.line, why: 'a csvlog record cut short (an unterminated quoted field)' });
          pending = null;
        } else {
          pending.text += `\n${text}`;
          if (!openQuotes(pending.text)) {
            finish(pending.text, pending.line);
            pending = null;
          }
          return;
        }
      }
      if (text.trim() === '') return;
      if (openQuotes(text)) pending = { text, line };
      else finish(text, line);
    },
    end() {
      if (pending) sink.unreadable({ line: pending.line, why: 'a csvlog record cut short at the end of the file' });
      pending = null;
    },
  };
}

/** An odd number of quote characters: a quoted field is still open. */
function openQuotes(text: string): boolean {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 34) n++;
  return n % 2 === 1;
}

/** One CSV record's fields (quotes doubled inside quoted fields); null when a quote is left open. */
export function splitCsv(text: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i < text.length && text[i] !== ',') return null;
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      fields.push(text.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

// ─── jsonlog: one object per line (PostgreSQL 15+) ──────────────────────────────────────────

export function jsonReader(sink: EntrySink): EntryReader {
  return {
    push(text, line) {
      if (text.trim() === '') return;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(text) as Record<string, unknown>;
      } catch {
        sink.unreadable({ line, why: 'not a JSON object (cut short?)' });
        return;
      }
      const time = typeof o.timestamp === 'string' ? parseLogTime(o.timestamp) : null;
      if (time === null || typeof o.message !== 'string') {
        sink.unreadable({ line, why: 'a jsonlog object without timestamp or message' });
        return;
      }
      const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
      sink.entry({
        line,
        time,
        user: str(o.user),
        database: str(o.dbname),
        session: str(o.session_id),
        application: typeof o.application_name === 'string' ? o.application_name : null,
        severity: str(o.error_severity),
        message: o.message,
        detail: typeof o.detail === 'string' ? o.detail : null,
      });
    },
    end() {},
  };
}

/** The format of a log from its first non-empty line (null: none of the three). */
export function detectFormat(firstLine: string): LogFormat | null {
  if (firstLine.startsWith('{')) return 'jsonlog';
  if (CSV_START.test(firstLine)) return 'csvlog';
  if (/^\d{4}-\d{2}-\d{2} [^|]*\|/.test(firstLine)) return 'stderr';
  return null;
}
