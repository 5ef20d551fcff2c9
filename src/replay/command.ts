import readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import pg from 'pg';
import { usageError } from '../core/errors.ts';
import type { Backend, BlockingInterval } from '../observe/index.ts';
import { onExitCleanup } from '../core/cleanup.ts';
import type { Logger } from '../core/log.ts';
import { startCapture } from './command-capture.ts';
import { classify, isTrackingRelation, loadParser } from './command-classify.ts';
import { commandEnv, maskOutput, tail } from './command-env.ts';
import { CommandTracker, dedupeLocks, type CapturedStatement } from './command-tracker.ts';
import type { CommandRun } from './command-types.ts';
import type { ReplayResult, TimeoutPolicy } from './replay.ts';
import { newStorage, resolveLockNames, takeSnapshot, type Snapshot } from './snapshot.ts';
import type { MigrationTrace, Rewrite } from './types.ts';
import { round } from '../core/numbers.ts';

export { checkCommand } from './command-env.ts';
export type { CommandRun } from './command-types.ts';

/** The id of the one migration a command run reports (also its schema state in the compatibility matrix). */
export const COMMAND_ID = 'command';

export interface CommandOptions {
  url: string;
  /** a shell command line, e.g. "npx node-pg-migrate up" */
  command: string;
  /** where it runs (default: the current folder) */
  cwd?: string;
  /** --lock-timeout / --statement-timeout, passed in PGOPTIONS (retries need the replay) */
  timeouts?: TimeoutPolicy;
  /** called when a migration statement is first seen (traffic phases) */
  onStatementStart?: (migrationId: string, statementIndex: number) => void;
  /** awaited once after the command when it succeeded (compatibility probes of the final state) */
  afterMigration?: (trace: MigrationTrace) => Promise<void>;
  /** pause between polls (default 5 ms) */
  intervalMs?: number;
  log: Logger;
}

export interface CommandResult extends ReplayResult {
  /** the backends the command used: the blocking sampler's intervals are attributed to them */
  pids: number[];
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Command mode: run a migration tool on the rehearsal database (DATABASE_URL and PG* variables,
 * PGAPPNAME=rehearse/migration) and capture what it does from outside: every statement its
 * backends run (pg_stat_activity), the relation locks they hold (pg_locks), polled every few ms on a
 * dedicated connection, and the relations rewritten (relfilenodes before and after the command).
 * One migration, id 'command', status from the exit code; every figure is sampled.
 */
export async function runMigrateCommand(options: CommandOptions): Promise<CommandResult> {
  const { url, log } = options;
  await loadParser();
  const client = new pg.Client({ connectionString: url, application_name: 'rehearse/command-capture' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const names = new Map<number, string>();
    const before = await takeSnapshot(client, names);
    const { rows } = await client.query<{ pids: number[] }>(`SELECT coalesce(array_agg(pid), '{}') AS pids FROM pg_stat_activity`);
    const tracker = new CommandTracker({
      classify,
      isBookkeepingRelation: isTrackingRelation,
      onStatement: (index) => options.onStatementStart?.(COMMAND_ID, index),
      startLsn: before.lsn,
    });
    const capture = await startCapture(client, tracker, {
      exclude: rows[0]!.pids,
      log,
      ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    });

    const shown = maskOutput(options.command, url);
    const startedAt = now();
    let run: ChildOutcome;
    try {
      run = await runChild(options, shown, () => tracker.pids().length);
    } finally {
      await capture.stop();
    }
    const endedAt = now();
    if (run.exitCode === 127 || run.exitCode === 126) {
      throw usageError(
        `--migrate-command exited with ${run.exitCode} (${run.exitCode === 127 ? 'a command was not found' : 'a command is not executable'}): ${errorLine(run.stderr) || 'no output'}`,
        'check the command and that the migration tool is installed where it runs',
      );
    }

    const after = await takeSnapshot(client, names);
    const captured = tracker.finish();
    // locks on relations never committed (a rewrite's transient heap) are left out, as in the replay;
    // a statement that took one is one that rewrote something
    const rewrote = new Set<CapturedStatement>();
    for (const s of captured.statements) {
      const resolved = await resolveLockNames(client, s.trace.locks, names);
      if (resolved.length < s.trace.locks.length) rewrote.add(s);
      s.trace.locks = dedupeLocks(resolved);
      if (s.trace.locks.length === 0) s.trace.lockHeldMs = 0;
    }
    const rewrites = await attributeRewrites(client, before, after, captured.statements, rewrote);
    const ok = run.exitCode === 0;
    if (!ok) blame(captured.statements, run.stderr);

    const command: CommandRun = {
      command: shown,
      capture: 'sampled',
      exitCode: run.exitCode,
      signal: run.signal,
      stdout: run.stdout,
      stderr: run.stderr,
      backends: tracker.pids().length,
      samples: captured.stats.samples,
      meanIntervalMs: captured.stats.meanIntervalMs,
      maxIntervalMs: captured.stats.maxIntervalMs,
      bookkeeping: captured.bookkeeping.map((s) => maskOutput(s, url)),
      rewrites,
    };
    const trace: MigrationTrace & { command: CommandRun } = {
      id: COMMAND_ID,
      name: shown,
      file: '',
      status: ok ? 'applied' : 'failed',
      startedAt,
      durationMs: round(endedAt - startedAt),
      statements: captured.statements.map((s) => ({ ...s.trace, sql: maskOutput(s.trace.sql, url) })),
      command,
    };
    const n = trace.statements.length;
    if (ok)
      log.info(`the migration command succeeded: ${n} statement${n === 1 ? '' : 's'} captured (${captured.bookkeeping.length} of the tool's own left out)`);
    else log.warn(`the migration command failed (${run.exitCode !== null ? `exit ${run.exitCode}` : run.signal}): ${errorLine(run.stderr) || 'no output'}`);
    if (ok) await options.afterMigration?.(trace);
    return { migrations: [trace], ok, pids: tracker.pids() };
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface ChildOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Keep at most this many lines of each stream while the command runs. */
const KEPT_LINES = 200;

/**
 * The command through the shell, in its own process group (so Ctrl-C stops it and everything it
 * started), its output shown as progress and its tail kept.
 */
async function runChild(options: CommandOptions, shown: string, backends: () => number): Promise<ChildOutcome> {
  const { log, url } = options;
  const child = execa(options.command, {
    shell: true,
    cwd: options.cwd ?? process.cwd(),
    env: commandEnv(url, options.timeouts),
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    detached: true,
    buffer: false,
  });
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    await Promise.race([child.catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
  };
  const unregister = onExitCleanup(stop);
  const progress = log.progress(`migration command: ${shown}`);
  const started = Date.now();
  const timer = setInterval(() => progress.update(`running ${Math.round((Date.now() - started) / 1000)}s, ${backends()} connection(s)`), 2000);
  timer.unref();
  const out: string[] = [];
  const err: string[] = [];
  const keep = (into: string[], stream: Readable | null, echo: boolean) => {
    if (!stream) return Promise.resolve();
    const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      const masked = maskOutput(line, url);
      into.push(masked);
      if (into.length > KEPT_LINES) into.shift();
      if (echo) log.info(`  │ ${masked}`);
    });
    return new Promise<void>((resolve) => lines.on('close', resolve));
  };
  try {
    const [result] = await Promise.all([child, keep(out, child.stdout, true), keep(err, child.stderr, true)]);
    const exitCode = result.exitCode ?? null;
    progress.done(exitCode === 0 ? 'exit 0' : exitCode !== null ? `exit ${exitCode}` : `ended by ${result.signal ?? 'a signal'}`);
    return { exitCode, signal: result.signal ?? null, stdout: tail(out.join('\n')), stderr: tail(err.join('\n')) };
  } finally {
    clearInterval(timer);
    unregister();
    await stop();
  }
}

/**
 * Rewrites of the whole command (relfilenode before → after), each tied to the statement that held
 * an AccessExclusiveLock on the relation or on the table it belongs to (its indexes, its TOAST
 * table) while it ran — when exactly one did, or exactly one of those also locked a transient
 * relation (the new heap a rewrite builds and drops); else to the command as a whole.
 */
async function attributeRewrites(
  client: pg.Client,
  before: Snapshot,
  after: Snapshot,
  statements: CapturedStatement[],
  rewrote: Set<CapturedStatement>,
): Promise<CommandRun['rewrites']> {
  const changed: { oid: number; rewrite: Rewrite }[] = [];
  for (const [oid, b] of before.files) {
    const a = after.files.get(oid);
    if (newStorage(b, a)) {
      changed.push({ oid, rewrite: { relation: a.name, relkind: a.relkind, relfilenodeBefore: b.relfilenode, relfilenodeAfter: a.relfilenode } });
    }
  }
  if (changed.length === 0) return [];
  const { rows } = await client.query<{ oid: string; parent: string }>(
    `SELECT c.oid::int8::text AS oid, coalesce(i.indrelid, t.oid)::int8::text AS parent
       FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.reltoastrelid = c.oid
      WHERE c.relkind IN ('i', 't', 'I') AND coalesce(i.indrelid, t.oid) IS NOT NULL`,
  );
  const parent = new Map(rows.map((r) => [r.oid, r.parent]));
  return changed.map(({ oid, rewrite }) => {
    const lineage = new Set<string>();
    for (let o: string | undefined = String(oid); o !== undefined && !lineage.has(o); o = parent.get(o)) lineage.add(o);
    const holders = statements.filter((s) => [...lineage].some((o) => s.exclusive.has(o)));
    const rewriters = holders.filter((s) => rewrote.has(s));
    const only = holders.length === 1 ? holders[0]! : rewriters.length === 1 ? rewriters[0]! : null;
    // TRUNCATE swaps in empty storage but rewrites no row: reported as truncated, not rewritten
    if (only?.trace.kind === 'TruncateStmt') (only.trace.truncated ??= []).push(rewrite);
    else only?.trace.rewrites.push(rewrite);
    return { ...rewrite, statementIndex: only?.trace.index ?? null };
  });
}

/**
 * The command failed: the last statement seen failing (its backend 'idle in transaction (aborted)'
 * right after it) carries the error, with the tool's own error line and the SQLSTATE when its output
 * names one. A failure followed at once by the tool's ROLLBACK is often not seen: then no statement
 * is blamed, and the command's stderr in the report says what failed.
 */
function blame(statements: CapturedStatement[], stderr: string): void {
  const failed = statements.filter((s) => s.aborted).at(-1);
  if (!failed) return;
  const said = stderr
    .split('\n')
    .find((l) => /error/i.test(l))
    ?.trim();
  const sqlstate = /\b(?:code|sqlstate)\W{0,4}([0-9A-Z]{5})\b/i.exec(stderr)?.[1];
  const how = 'its transaction was aborted';
  failed.trace.error = {
    sqlstate: sqlstate ?? '',
    message: said ? `${said.slice(0, 300)} (${how})` : `the command failed and ${how}; see its output`,
    file: '',
    line: 0,
  };
}

function errorLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => /error|not found|fatal/i.test(l)) ?? lines.at(-1) ?? '').slice(0, 300);
}

/**
 * The blocking sampler names backends by application_name; a tool that ignores PGAPPNAME has
 * untagged backends. Those the command used count as the migration's.
 */
export function asMigrationBackends(intervals: BlockingInterval[], pids: number[]): BlockingInterval[] {
  const ours = new Set(pids);
  const retag = (b: Backend): Backend => (ours.has(b.pid) && b.kind !== 'migration' ? { ...b, kind: 'migration', app: null, query: null } : b);
  return intervals.map((iv) => ({ ...iv, blocked: retag(iv.blocked), directBlocker: retag(iv.directBlocker), rootBlocker: retag(iv.rootBlocker) }));
}
