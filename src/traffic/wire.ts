import type { Socket } from 'node:net';
import pg from 'pg';
import { parse, serialize } from 'pg-protocol';
import type { BackendMessage, CommandCompleteMessage, DataRowMessage, RowDescriptionMessage } from 'pg-protocol/dist/messages.js';
import type { ResultShape } from './expect.ts';
import type { ParamValue } from './types.ts';

/**
 * The traffic's hot path to the server: a connection opened (startup, authentication, TLS) by
 * node-postgres, whose socket is then driven directly with pg-protocol, node-postgres's own
 * message serializer and parser, without pg's query queue, Query and Result objects, row parsing
 * and per-message events. On 2 shared cores that cut the client's CPU per point select from
 * 40–46 µs (pg.Client) to 27–33 (pgbench: 18–22), which is what lets the driver reach 0.8×
 * pgbench's rate (docs/workload.md, `npm run bench:traffic`).
 *
 * The messages sent are what node-postgres sends for the same call: a query without parameters
 * in the simple protocol (one Query message); with parameters Parse (unnamed), Bind, Describe,
 * Execute, Sync; a named statement parsed once per connection (on its ParseComplete, as pg) and then
 * only bound and executed — so a schema change that invalidates its plan fails it with 0A000
 * until the connection is replaced, as in an application's pool.
 *
 * Taking the socket over relies on one non-public field of pg.Client (`connection.stream`), pinned
 * with pg's version (PG_CHECKED) by test/traffic-wire.test.ts.
 */
export class WireConnection {
  readonly pid: number;
  private readonly stream: Socket;
  private readonly prepared = new Set<string>();
  private pending: Pending | null = null;
  private broken: Error | null = null;

  private constructor(private readonly client: pg.Client) {
    this.pid = (client as unknown as { processID: number }).processID;
    const connection = (client as unknown as { connection?: { stream?: Socket } }).connection;
    const stream = connection?.stream;
    if (!stream || typeof stream.write !== 'function')
      throw new Error(`pg.Client has no connection.stream to drive: src/traffic/wire.ts was checked against pg ${PG_CHECKED}`);
    this.stream = stream;
    // pg's parser stops here: from now on every message from the server comes to onMessage
    stream.removeAllListeners('data');
    void parse(stream, (msg) => this.onMessage(msg)).catch(() => undefined);
    stream.on('close', () => this.lost(new Error('Connection terminated unexpectedly')));
    stream.on('error', (err: Error) => this.lost(err));
  }

  /** Open a connection with node-postgres's options (url, application_name, statement_timeout …). */
  static async open(config: pg.ClientConfig, onError: (err: Error) => void = () => undefined): Promise<WireConnection> {
    const client = new pg.Client(config);
    client.on('error', onError);
    await client.connect();
    try {
      return new WireConnection(client);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Run one statement; `cb` gets the database error (with its SQLSTATE in `code`) or, when
   * `wantResult`, the last result's columns, rows (text values) and row count. One at a time.
   */
  run(
    sql: string,
    values: readonly ParamValue[],
    name: string | undefined,
    wantResult: boolean,
    cb: (err: Error | null, result: ResultShape | null) => void,
  ): void {
    if (this.broken || this.pending) {
      cb(this.broken ?? new Error('a statement is already running on this connection'), null);
      return;
    }
    let message: Buffer;
    if (name === undefined && values.length === 0) message = serialize.query(sql);
    else {
      const parts: Buffer[] = [];
      const parseNow = name === undefined || !this.prepared.has(name);
      if (parseNow) parts.push(serialize.parse({ text: sql, ...(name !== undefined ? { name } : {}) }));
      parts.push(serialize.bind({ statement: name ?? '', values: values.map(text) }));
      parts.push(serialize.describe({ type: 'P' }));
      parts.push(serialize.execute(), SYNC);
      message = Buffer.concat(parts);
    }
    this.pending = { cb, wantResult, name, error: null, columns: null, rows: [], rowCount: 0 };
    this.stream.write(message);
  }

  /** A statement's rows (text values), as a promise: the shape of pg's `client.query` the samplers use. */
  query(sql: string, values: readonly ParamValue[] = []): Promise<{ rows: Record<string, unknown>[] }> {
    return new Promise((resolve, reject) => this.run(sql, values, undefined, true, (err, res) => (err ? reject(err) : resolve({ rows: res?.rows ?? [] }))));
  }

  /** A statement without interest in its result, as a promise (BEGIN, COMMIT, set_config …). */
  exec(sql: string, values: readonly ParamValue[] = []): Promise<void> {
    return new Promise((resolve, reject) => this.run(sql, values, undefined, false, (err) => (err ? reject(err) : resolve())));
  }

  get alive(): boolean {
    return this.broken === null;
  }

  /** Close it (Terminate, as pg.Client.end). */
  async end(): Promise<void> {
    this.broken ??= new Error('the connection was closed');
    await this.client.end().catch(() => undefined);
  }

  private onMessage(msg: BackendMessage): void {
    const p = this.pending;
    switch (msg.name) {
      case 'rowDescription':
        if (p) {
          p.columns = (msg as RowDescriptionMessage).fields.map((f) => f.name);
          p.rows = [];
          p.rowCount = 0;
        }
        return;
      case 'dataRow':
        if (p) {
          p.rowCount += 1;
          if (p.wantResult) p.rows.push(rowOf(p.columns ?? [], (msg as DataRowMessage).fields));
        }
        return;
      case 'commandComplete':
        if (p && p.columns === null) p.rowCount = tagCount((msg as CommandCompleteMessage).text);
        return;
      case 'parseComplete':
        if (p?.name !== undefined) this.prepared.add(p.name);
        return;
      case 'error':
        if (p && !p.error) p.error = msg as unknown as Error;
        return;
      case 'copyInResponse':
        // traffic does not feed COPY: refuse it as pg does without a stream
        this.stream.write(serialize.copyFail('COPY FROM STDIN is not supported in traffic queries'));
        return;
      case 'readyForQuery': {
        if (!p) return;
        this.pending = null;
        if (p.error) p.cb(p.error, null);
        else p.cb(null, p.wantResult ? { columns: p.columns ?? [], rows: p.rows, rowCount: p.rowCount } : null);
        return;
      }
      default:
        // bindComplete, noData, emptyQuery, portalSuspended, notice, parameterStatus, notification:
        // nothing to keep
        return;
    }
  }

  private lost(err: Error) {
    this.broken ??= err;
    const p = this.pending;
    this.pending = null;
    p?.cb(p.error ?? err, null);
  }
}

interface Pending {
  cb: (err: Error | null, result: ResultShape | null) => void;
  wantResult: boolean;
  name: string | undefined;
  error: Error | null;
  /** the current result's column names; null until a RowDescription (a command without rows) */
  columns: string[] | null;
  rows: Record<string, unknown>[];
  rowCount: number;
}

const SYNC = serialize.sync();
/** The node-postgres release whose `connection.stream` this file was checked against (test/traffic-wire.test.ts). */
export const PG_CHECKED = '8.23.1';

/** A parameter as pg sends it: text, NULL as NULL, booleans as true/false. */
const text = (v: ParamValue): string | null => (v === null ? null : typeof v === 'string' ? v : String(v));

function rowOf(columns: string[], fields: (string | null)[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]!] = fields[i] ?? null;
  return row;
}

/** The row count of a command tag: "UPDATE 3", "INSERT 0 1", "SELECT 5" → 3, 1, 5 (0 without one). */
function tagCount(tag: string): number {
  const n = Number(tag.slice(tag.lastIndexOf(' ') + 1));
  return Number.isFinite(n) ? n : 0;
}
