/**
 * PostgreSQL logs written as the server writes them, in the three formats pgreplay's settings
 * give (stderr with log_line_prefix '%m|%u|%d|%c|', csvlog, jsonlog), from one list of events:
 * the same traffic in each.
 */

export interface LogEvent {
  /** ms from the log's start */
  at: number;
  session: string;
  kind: 'connect' | 'statement' | 'execute' | 'disconnect' | 'error';
  sql?: string;
  params?: (string | null)[];
  user?: string;
  db?: string;
  app?: string;
}

const BASE = Date.UTC(2026, 11, 6, 10, 0, 0);

const stamp = (at: number) => new Date(BASE + at).toISOString().replace('T', ' ').replace('Z', ' UTC');

/** The LOG message and DETAIL of an event, as PostgreSQL words them. */
function messageOf(e: LogEvent): { severity: string; message: string; detail: string | null } {
  const user = e.user ?? 'app';
  const db = e.db ?? 'shop';
  switch (e.kind) {
    case 'connect':
      return { severity: 'LOG', message: `connection authorized: user=${user} database=${db} application_name=${e.app ?? ''}`, detail: null };
    case 'disconnect':
      return { severity: 'LOG', message: `disconnection: session time: 0:00:01.000 user=${user} database=${db} host=[local]`, detail: null };
    case 'statement':
      return { severity: 'LOG', message: `statement: ${e.sql}`, detail: null };
    case 'execute':
      return {
        severity: 'LOG',
        message: `execute <unnamed>: ${e.sql}`,
        detail: e.params?.length
          ? `parameters: ${e.params.map((p, i) => `$${i + 1} = ${p === null ? 'NULL' : `'${p.replaceAll("'", "''")}'`}`).join(', ')}`
          : null,
      };
    case 'error':
      return { severity: 'ERROR', message: 'relation "nope" does not exist', detail: null };
  }
}

export function stderrLog(events: LogEvent[]): string {
  const lines: string[] = [];
  for (const e of events) {
    const prefix = `${stamp(e.at)}|${e.user ?? 'app'}|${e.db ?? 'shop'}|${e.session}|`;
    const { severity, message, detail } = messageOf(e);
    lines.push(`${prefix}${severity}:  ${message.replaceAll('\n', '\n\t')}`);
    if (detail) lines.push(`${prefix}DETAIL:  ${detail}`);
  }
  return lines.join('\n') + '\n';
}

const csvField = (v: string | null) => (v === null || v === '' ? '' : `"${v.replaceAll('"', '""')}"`);

export function csvLog(events: LogEvent[]): string {
  return events
    .map((e, i) => {
      const { severity, message, detail } = messageOf(e);
      const fields = [
        stamp(e.at),
        csvField(e.user ?? 'app'),
        csvField(e.db ?? 'shop'),
        '4242',
        csvField('[local]'),
        e.session,
        String(i + 1),
        csvField('SELECT'),
        stamp(0),
        '3/7',
        '0',
        severity,
        '00000',
        csvField(message),
        csvField(detail),
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        csvField(e.app ?? ''),
        csvField('client backend'),
        '',
        '0',
      ];
      return fields.join(',');
    })
    .join('\n')
    .concat('\n');
}

export function jsonLog(events: LogEvent[]): string {
  return events
    .map((e, i) => {
      const { severity, message, detail } = messageOf(e);
      return JSON.stringify({
        timestamp: stamp(e.at),
        user: e.user ?? 'app',
        dbname: e.db ?? 'shop',
        pid: 4242,
        remote_host: '[local]',
        session_id: e.session,
        line_num: i + 1,
        ps: 'SELECT',
        session_start: stamp(0),
        vxid: '3/7',
        txid: 0,
        error_severity: severity,
        message,
        ...(detail ? { detail } : {}),
        application_name: e.app ?? '',
        backend_type: 'client backend',
        query_id: 0,
      });
    })
    .join('\n')
    .concat('\n');
}
