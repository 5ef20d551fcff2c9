import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Migration, MigrationScript, Statement } from '../migrations/index.ts';
import { MIGRATION_PREFIX } from '../observe/index.ts';
import type { Logger } from '../core/log.ts';
import { stripRowData } from '../core/mask.ts';
import { closesTransaction, opensTransaction, planUnits, type Unit } from './units.ts';
import { createdSince, newLocks, resolveLockNames, rewrites, sampleLocks, takeSnapshot, walBytes } from './snapshot.ts';
import type { FailedAttempt, MigrationTrace, StatementError, StatementTrace, VerifyResult } from './types.ts';
import { deadlockPartners } from './deadlock.ts';
import { round } from '../core/numbers.ts';

export interface ReplayOptions {
  url: string;
  /** the migrations to apply, in order (the pending ones) */
  migrations: Migration[];
  /** 'up' replays the migrations; 'down' applies their down scripts (caller passes them reversed) */
  direction?: 'up' | 'down';
  /** --lock-timeout / --statement-timeout / --retries / --retry-backoff */
  timeouts?: TimeoutPolicy;
  /** called right before each statement (traffic phases) */
  onStatementStart?: (migrationId: string, statementIndex: number) => void;
  /** awaited after each migration that applied (compatibility probes of that schema state) */
  afterMigration?: (trace: MigrationTrace) => Promise<void>;
  log: Logger;
}

export interface ReplayResult {
  migrations: MigrationTrace[];
  /** false when a statement failed (the rest were skipped) */
  ok: boolean;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Apply migrations statement by statement on one connection, tracing each statement: duration,
 * locks acquired, how long they were held, rewrites, WAL, rows. Stops at the first failing
 * statement; the migrations after it are reported as skipped.
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { log } = options;
  const direction = options.direction ?? 'up';
  const client = new pg.Client({ connectionString: options.url, application_name: MIGRATION_PREFIX });
  const sampler = new pg.Client({ connectionString: options.url, application_name: 'rehearse/lock-sampler' });
  // a backend killed or the server gone: the statement's query rejects and says so; the idle
  // connection's 'error' event must not end the process
  for (const c of [client, sampler]) c.on('error', () => undefined);
  await Promise.all([client.connect(), sampler.connect()]);
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const t = options.timeouts ?? {};
  if (t.lockTimeoutMs !== undefined) await client.query(`SET lock_timeout = ${Math.round(t.lockTimeoutMs)}`);
  if (t.statementTimeoutMs !== undefined) await client.query(`SET statement_timeout = ${Math.round(t.statementTimeoutMs)}`);
  const names = new Map<number, string>();
  const ctx: Ctx = { client, sampler, pid, names, policy: t, log, onStatementStart: options.onStatementStart };
  const traces: MigrationTrace[] = [];
  let ok = true;
  try {
    for (const migration of options.migrations) {
      const script = direction === 'up' ? migration.up : migration.down;
      if (!ok || !script) {
        traces.push(skipped(migration, script));
        if (ok && !script) log.warn(`migration ${migration.id} has no down script`);
        continue;
      }
      log.info(`${direction === 'up' ? 'applying' : 'rolling back'} ${migration.id} ${migration.name} (${script.statements.length} statements)`);
      const trace = await runScript(ctx, migration, script);
      if (direction === 'up' && trace.status === 'applied' && migration.verify) {
        trace.verify = await runVerify(client, migration.verify);
        if (!trace.verify.ok) {
          trace.status = 'failed';
          log.warn(`${migration.verify.file}:${trace.verify.error?.line}: verify failed: ${trace.verify.error?.message}`);
        }
      }
      traces.push(trace);
      if (trace.status === 'failed') ok = false;
      else await options.afterMigration?.(trace);
    }
  } finally {
    await Promise.allSettled([client.end(), sampler.end()]);
  }
  return { migrations: traces, ok };
}

function skipped(migration: Migration, script: MigrationScript | undefined): MigrationTrace {
  return { id: migration.id, name: migration.name, file: script?.file ?? '', status: 'skipped', startedAt: null, durationMs: 0, statements: [] };
}

/** lock_timeout rehearsal: each statement runs with these limits; a lock timeout retries its transaction. */
export interface TimeoutPolicy {
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** how many times a transaction that hit lock_timeout is run again (default 0) */
  retries?: number;
  /** wait before each retry (default 1000 ms) */
  retryBackoffMs?: number;
}

const LOCK_NOT_AVAILABLE = '55P03';

/** What every step of one replay shares. */
interface Ctx {
  client: pg.Client;
  sampler: pg.Client;
  pid: number;
  /** relation oid → name, filled as relations are seen (dropped ones keep their name) */
  names: Map<number, string>;
  policy: TimeoutPolicy;
  log: Logger;
  onStatementStart: ((migrationId: string, statementIndex: number) => void) | undefined;
}

async function runScript(ctx: Ctx, migration: Migration, script: MigrationScript): Promise<MigrationTrace> {
  const started = now();
  const statements: StatementTrace[] = [];
  let failed = false;
  for (const unit of planUnits(script)) {
    const traces = await runUnit(ctx, migration.id, script, unit);
    statements.push(...traces);
    if (traces.some((t) => t.error)) {
      failed = true;
      break;
    }
  }
  return {
    id: migration.id,
    name: migration.name,
    file: script.file,
    status: failed ? 'failed' : 'applied',
    startedAt: started,
    durationMs: round(now() - started),
    statements,
  };
}

/**
 * Run one unit; when a statement in it times out waiting for a lock, roll the unit back and run it
 * again (per policy), recording each failed attempt on the statement that waited.
 */
async function runUnit(ctx: Ctx, migrationId: string, script: MigrationScript, unit: Unit): Promise<StatementTrace[]> {
  const { client, policy, log } = ctx;
  const failedAttempts = new Map<number, FailedAttempt[]>();
  for (let attempt = 0; ; attempt++) {
    const ours = unit.mode === 'wrapped' || unit.mode === 'single';
    if (ours) await client.query('BEGIN');
    let inTx = ours;
    const traces: StatementTrace[] = [];
    // the relations that existed when the current transaction began (set by its first statement)
    const tx: TxStart = { oids: null };
    for (const stmt of unit.statements) {
      const inTransaction = inTx && unit.mode !== 'single';
      if (!inTransaction) tx.oids = null;
      const trace = await runStatement(ctx, migrationId, script, stmt, inTransaction, tx);
      traces.push(trace);
      if (trace.error) break;
      if (opensTransaction(stmt)) inTx = true;
      if (closesTransaction(stmt)) inTx = false;
    }
    const last = traces.at(-1);
    if (last?.error) {
      if (inTx) await client.query('ROLLBACK').catch(() => undefined);
      const endedAt = now();
      const canRetry = last.error.sqlstate === LOCK_NOT_AVAILABLE && attempt < (policy.retries ?? 0);
      const earlier = failedAttempts.get(last.index) ?? [];
      if (canRetry) {
        earlier.push({
          startedAt: new Date(last.startedAt).toISOString(),
          waitedMs: last.durationMs,
          sqlstate: last.error.sqlstate,
          message: last.error.message,
        });
        failedAttempts.set(last.index, earlier);
        const backoff = policy.retryBackoffMs ?? 1000;
        log.info(`${script.file}:${last.line}: lock_timeout (attempt ${attempt + 1}); retrying in ${backoff} ms`);
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      holdUntil(traces, endedAt);
      return withAttempts(traces, failedAttempts);
    }
    if (inTx) {
      if (!ours) log.warn(`${script.file}: the file leaves a transaction open; committing it`);
      await client.query('COMMIT');
    }
    holdUntil(traces, now());
    return withAttempts(traces, failedAttempts);
  }
}

/**
 * Locks are held until the transaction ends: from each statement's start to `endedAt`. Sampled
 * locks (outside a transaction) ended with their statement: runStatement set those.
 */
function holdUntil(traces: StatementTrace[], endedAt: number): void {
  for (const t of traces) if (t.locks.length > 0 && t.lockSource === 'exact') t.lockHeldMs = round(endedAt - t.startedAt);
}

function withAttempts(traces: StatementTrace[], failed: Map<number, FailedAttempt[]>): StatementTrace[] {
  for (const t of traces) {
    const earlier = failed.get(t.index);
    if (earlier?.length) {
      t.failedAttempts = earlier;
      t.attempts = earlier.length + 1;
    }
  }
  return traces;
}

/** What existed when a transaction began: a relation not in it was created by that transaction. */
interface TxStart {
  oids: Set<number> | null;
}

async function runStatement(
  ctx: Ctx,
  migrationId: string,
  script: MigrationScript,
  stmt: Statement,
  inTransaction: boolean,
  tx: TxStart,
): Promise<StatementTrace> {
  const { client, sampler, pid, names, log } = ctx;
  const before = await takeSnapshot(client, names);
  tx.oids ??= new Set(before.files.keys());
  const sampling = stmt.transactional ? null : sampleLocks(sampler, pid, names);
  const watch = watchLongStatement(log, script, stmt);
  ctx.onStatementStart?.(migrationId, stmt.index);
  const startedAt = now();
  let rowsAffected: number | null = null;
  let error: StatementError | undefined;
  try {
    if (stmt.copyData !== undefined) {
      rowsAffected = await copyIn(client, stmt.sql, stmt.copyData);
    } else {
      const res = await client.query(stmt.sql);
      const last = Array.isArray(res) ? res.at(-1) : res;
      rowsAffected = last && ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY', 'SELECT', 'MOVE', 'FETCH'].includes(last.command) ? last.rowCount : null;
    }
  } catch (err) {
    error = statementError(err, script, stmt);
    if (error.sqlstate === '40P01') {
      // both sides of the deadlock in the report: this statement, and who it deadlocked with
      const partners = await deadlockPartners(sampler, (err as pg.DatabaseError).detail, pid);
      if (partners.length) error.message += ` (with ${partners.join(', ')})`;
    }
  }
  const endedAt = now();
  watch.stop();
  const sampled = sampling ? await sampling.stop() : null;

  const base = {
    index: stmt.index,
    sql: stmt.sql,
    file: script.file,
    line: stmt.line,
    kind: stmt.kind,
    inTransaction,
    startedAt,
    endedAt,
    durationMs: round(endedAt - startedAt),
    rowsAffected,
  };
  if (error) {
    // the transaction (if any) is aborted: nothing more can be read from it
    return { ...base, locks: sampled ?? [], lockSource: sampled ? 'sampled' : 'exact', lockHeldMs: 0, rewrites: [], walBytes: 0, rowsAffected: null, error };
  }
  const after = await takeSnapshot(client, names);
  const locks = await resolveLockNames(client, sampled ?? newLocks(before, after), names);
  const changed = rewrites(before, after);
  // TRUNCATE swaps in empty storage (new relfilenodes) but rewrites no row: not a rewrite
  const truncate = stmt.kind === 'TruncateStmt';
  const created = createdSince(tx.oids, after);
  return {
    ...base,
    locks,
    lockSource: sampled ? 'sampled' : 'exact',
    // outside a transaction a statement's locks end with it; inside, closeTransaction() sets this
    lockHeldMs: sampled && locks.length > 0 ? base.durationMs : 0,
    rewrites: truncate ? [] : changed,
    ...(truncate && changed.length ? { truncated: changed } : {}),
    ...(created.length ? { createdInTransaction: created } : {}),
    walBytes: walBytes(before.lsn, after.lsn),
  };
}

/** `COPY … FROM stdin` with the rows the file held after it, sent with the COPY protocol. */
async function copyIn(client: pg.Client, sql: string, data: string): Promise<number> {
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from([data]), stream);
  return stream.rowCount;
}

/**
 * sqitch's verify script, run after the deploy as `sqitch deploy --verify` does: statements in order;
 * a transaction it leaves open is rolled back (a verify changes nothing). Not traced statement by statement.
 */
async function runVerify(client: pg.Client, script: MigrationScript): Promise<VerifyResult> {
  const started = now();
  let inTx = false;
  for (const stmt of script.statements) {
    try {
      if (stmt.copyData !== undefined) await copyIn(client, stmt.sql, stmt.copyData);
      else await client.query(stmt.sql);
      if (opensTransaction(stmt)) inTx = true;
      if (closesTransaction(stmt)) inTx = false;
    } catch (err) {
      if (inTx) await client.query('ROLLBACK').catch(() => undefined);
      const e = statementError(err, script, stmt);
      return {
        file: script.file,
        ok: false,
        durationMs: round(now() - started),
        statements: script.statements.length,
        error: { sqlstate: e.sqlstate, message: e.message, file: e.file, line: e.line },
      };
    }
  }
  if (inTx) await client.query('ROLLBACK');
  return { file: script.file, ok: true, durationMs: round(now() - started), statements: script.statements.length };
}

function statementError(err: unknown, script: MigrationScript, stmt: Statement): StatementError {
  const e = err as pg.DatabaseError;
  let line = stmt.line;
  const position = Number(e.position);
  if (Number.isFinite(position) && position > 0) {
    line += (stmt.sql.slice(0, position - 1).match(/\n/g) ?? []).length;
  }
  return {
    sqlstate: e.code ?? 'XX000',
    message: e.message ?? String(err),
    ...(e.detail ? { detail: stripRowData(e.detail) } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
    file: script.file,
    line,
  };
}

/** Progress for a statement that runs longer than two seconds. */
function watchLongStatement(log: Logger, script: MigrationScript, stmt: Statement) {
  let progress: ReturnType<Logger['progress']> | null = null;
  const started = Date.now();
  const timer = setInterval(() => {
    progress ??= log.progress(`${script.file}:${stmt.line} ${firstWords(stmt.sql)}`);
    progress.update(`running ${Math.round((Date.now() - started) / 1000)}s`);
  }, 2000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      progress?.done(`finished`);
    },
  };
}

function firstWords(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim();
  return oneLine.length > 60 ? oneLine.slice(0, 57) + '…' : oneLine;
}
