import { WireConnection } from './wire.ts';

/** Why a caller waiting for a connection did not get one: the pool was closed (the traffic stopped). */
export class PoolClosed extends Error {
  constructor() {
    super('the pool is closed');
  }
}

/** One pooled connection: its client (with its backend pid), current application_name, and when it opened. */
export interface PooledConnection {
  readonly client: WireConnection;
  readonly openedAt: number;
  /** the application_name it carries now (set per query by the driver) */
  tag: string;
}

export interface PoolOptions {
  url: string;
  size: number;
  /** application_name of a new connection */
  applicationName: string;
  statementTimeoutMs: number | null;
  /** close and replace a connection at its release once it is this old (ms); null: never */
  lifetimeMs: number | null;
  now: () => number;
  /** a connection lost outside a query (the server went away) */
  onError: (err: Error) => void;
}

/**
 * A fixed-size pool, as an application's: `size` connections opened up front, handed out first
 * come first served. A connection released after a failure that broke it, or once older than
 * `lifetimeMs` (as pools such as pg-pool and HikariCP retire connections), is closed and a new
 * one opened in its place; meanwhile the pool has one fewer, and a caller waiting gets the next
 * free one. Kept small on purpose: it is on the path of every simulated query.
 */
export class ConnectionPool {
  private readonly idle: PooledConnection[] = [];
  private readonly waiters: { resolve: (c: PooledConnection) => void; reject: (e: Error) => void }[] = [];
  /** backend pids of every connection ever opened (to cancel what still runs at stop) */
  readonly pids = new Set<number>();
  private readonly open = new Set<PooledConnection>();
  private closed = false;
  private replacing = 0;

  constructor(private readonly options: PoolOptions) {}

  /** Open every connection; rejects (after closing those that opened) when one cannot. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: this.options.size }, () => this.connect()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      await this.end();
      throw failed.reason;
    }
    for (const r of results) if (r.status === 'fulfilled') this.idle.push(r.value);
  }

  /** An idle connection now, or undefined (then acquire() to wait for one). */
  take(): PooledConnection | undefined {
    return this.idle.pop();
  }

  acquire(): Promise<PooledConnection> {
    const conn = this.idle.pop();
    if (conn) return Promise.resolve(conn);
    if (this.closed) return Promise.reject(new PoolClosed());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Give a connection back; `broken`: it failed at the connection level, replace it. */
  release(conn: PooledConnection, broken = false): void {
    const { lifetimeMs, now } = this.options;
    if (broken || this.closed || (lifetimeMs !== null && now() - conn.openedAt >= lifetimeMs)) {
      this.retire(conn);
      return;
    }
    this.handOut(conn);
  }

  /** Connections open now (a recycled one counts until its replacement is open). */
  get size(): number {
    return this.open.size + this.replacing;
  }

  /** Close every connection; waiters are rejected. */
  async end(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new PoolClosed());
    const all = [...this.open];
    this.idle.length = 0;
    await Promise.allSettled(all.map((c) => this.close(c)));
  }

  private handOut(conn: PooledConnection) {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(conn);
    else this.idle.push(conn);
  }

  private retire(conn: PooledConnection) {
    void this.close(conn);
    if (this.closed) return;
    this.replacing += 1;
    this.connect().then(
      (fresh) => {
        this.replacing -= 1;
        if (this.closed) void this.close(fresh);
        else this.handOut(fresh);
      },
      (err: Error) => {
        this.replacing -= 1;
        this.options.onError(err);
        // the server refuses: whoever waits learns it now instead of waiting forever
        if (this.open.size === 0 && this.replacing === 0) for (const w of this.waiters.splice(0)) w.reject(err);
      },
    );
  }

  private async connect(): Promise<PooledConnection> {
    const { url, applicationName, statementTimeoutMs, now, onError } = this.options;
    const client = await WireConnection.open(
      {
        connectionString: url,
        application_name: applicationName,
        ...(statementTimeoutMs !== null ? { statement_timeout: statementTimeoutMs } : {}),
      },
      onError,
    );
    const conn: PooledConnection = { client, openedAt: now(), tag: applicationName };
    this.pids.add(client.pid);
    this.open.add(conn);
    return conn;
  }

  private async close(conn: PooledConnection) {
    this.open.delete(conn);
    await conn.client.end();
  }
}
