import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Migration, MigrationScript, Statement } from '../migrations/types.ts';
import type { Logger } from '../util/log.ts';
import { stripRowData } from '../util/mask.ts';
import { newLocks, resolveLockNames, rewrites, sampleLocks, takeSnapshot, walBytes } from './snapshot.ts';
import type { MigrationTrace, StatementError, StatementTrace } from './types.ts';

export interface ReplayOptions {
  url: string;
  /** the migrations to apply, in order (the pending ones) */
  migrations: Migration[];
  /** 'up' replays the migrations; 'down' applies their down scripts (caller passes them reversed) */
  direction?: 'up' | 'down';
  log: Logger;
}

export interface ReplayResult {
  migrations: MigrationTrace[];
  /** false when a statement failed (the rest were skipped) */
  ok: boolean;
}

const now = () => performance.timeOrigin + performance.now();
const APP = 'rehearse/migration';

/**
 * Apply migrations statement by statement on one connection, tracing each statement: duration,
 * locks acquired, how long they were held, rewrites, WAL, rows. Stops at the first failing
 * statement; the migrations after it are reported as skipped.
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { log } = options;
  const direction = options.direction ?? 'up';
  const client = new pg.Client({ connectionString: options.url, application_name: APP });
  const sampler = new pg.Client({ connectionString: options.url, application_name: 'rehearse/lock-sampler' });
  await Promise.all([client.connect(), sampler.connect()]);
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const names = new Map<number, string>();
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
      const trace = await runScript(client, sampler, pid, names, migration, script, log);
      traces.push(trace);
      if (trace.status === 'failed') ok = false;
    }
  } finally {
    await Promise.allSettled([client.end(), sampler.end()]);
  }
  return { migrations: traces, ok };
}

function skipped(migration: Migration, script: MigrationScript | undefined): MigrationTrace {
  return { id: migration.id, name: migration.name, file: script?.file ?? '', status: 'skipped', startedAt: null, durationMs: 0, statements: [] };
}

const TX_OPEN = /^\s*(begin|start\s+transaction)\b/i;
const TX_CLOSE = /^\s*(commit|end|abort|rollback)\b(?!\s+(to|prepared)\b)/i;

async function runScript(
  client: pg.Client,
  sampler: pg.Client,
  pid: number,
  names: Map<number, string>,
  migration: Migration,
  script: MigrationScript,
  log: Logger,
): Promise<MigrationTrace> {
  // A file with its own BEGIN/COMMIT runs as written; otherwise we wrap it (inTransaction).
  const explicit = script.statements.some((s) => s.kind === 'TransactionStmt' && (TX_OPEN.test(s.sql) || TX_CLOSE.test(s.sql)));
  const wrap = script.inTransaction && !explicit;
  const started = now();
  const statements: StatementTrace[] = [];
  /** statements of the transaction now open: their locks are held until it ends */
  let open: StatementTrace[] | null = null;

  const endTransaction = async (command: 'COMMIT' | 'ROLLBACK') => {
    await client.query(command);
    closeTransaction(now());
  };
  const closeTransaction = (endedAt: number) => {
    for (const s of open ?? []) s.lockHeldMs = s.locks.length > 0 ? round(endedAt - s.startedAt) : 0;
    open = null;
  };

  let failed = false;
  for (const stmt of script.statements) {
    const userOpens = stmt.kind === 'TransactionStmt' && TX_OPEN.test(stmt.sql);
    const userCloses = stmt.kind === 'TransactionStmt' && TX_CLOSE.test(stmt.sql);
    if (!stmt.transactional && open && wrap) await endTransaction('COMMIT');
    if (wrap && stmt.transactional && !open) {
      await client.query('BEGIN');
      open = [];
    }
    // An autocommit statement that may run in a transaction gets a transaction of its own, so its
    // locks can be read exactly before it commits.
    const single = stmt.transactional && !open && !userOpens && !userCloses;
    if (single) {
      await client.query('BEGIN');
      open = [];
    }

    const trace = await runStatement(client, sampler, pid, names, script, stmt, open !== null && !single, log);
    statements.push(trace);
    if (trace.error) {
      failed = true;
      if (open || userCloses) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (open) open.push(trace);
        closeTransaction(now());
      }
      break;
    }
    if (userOpens) open = [];
    else if (open) open.push(trace);
    if (userCloses) closeTransaction(trace.endedAt);
    else if (single) await endTransaction('COMMIT');
  }
  if (!failed && open) {
    if (!wrap) log.warn(`${script.file}: the file leaves a transaction open; committing it`);
    await endTransaction('COMMIT');
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

async function runStatement(
  client: pg.Client,
  sampler: pg.Client,
  pid: number,
  names: Map<number, string>,
  script: MigrationScript,
  stmt: Statement,
  inTransaction: boolean,
  log: Logger,
): Promise<StatementTrace> {
  const before = await takeSnapshot(client, names);
  const sampling = stmt.transactional ? null : sampleLocks(sampler, pid, names);
  const watch = watchLongStatement(log, script, stmt);
  const startedAt = now();
  let rowsAffected: number | null = null;
  let error: StatementError | undefined;
  try {
    const res = await client.query(stmt.sql);
    const last = Array.isArray(res) ? res.at(-1) : res;
    rowsAffected = last && ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY', 'SELECT', 'MOVE', 'FETCH'].includes(last.command) ? last.rowCount : null;
  } catch (err) {
    error = statementError(err, script, stmt);
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
  return {
    ...base,
    locks,
    lockSource: sampled ? 'sampled' : 'exact',
    // outside a transaction a statement's locks end with it; inside, closeTransaction() sets this
    lockHeldMs: sampled && locks.length > 0 ? base.durationMs : 0,
    rewrites: rewrites(before, after),
    walBytes: walBytes(before.lsn, after.lsn),
  };
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

const round = (ms: number) => Math.round(ms * 1000) / 1000;
