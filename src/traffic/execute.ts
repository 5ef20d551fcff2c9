import type pg from 'pg';
import { checkExpectation } from './expect.ts';
import type { Outcome } from './stats.ts';
import type { ParamValue, Step } from './types.ts';

/**
 * Run the steps of one execution on a connection: in a transaction (BEGIN … COMMIT, ROLLBACK on
 * failure) or each on its own. An unmet expectation is a failure with the pseudo-SQLSTATE EXPECT
 * (a transaction is then rolled back). Never throws for a database error: the outcome says it.
 */
export async function runExecution(
  client: pg.ClientBase,
  steps: Step[],
  values: ParamValue[][],
  mode: 'transaction' | 'autocommit' | 'inside',
  /** prepared: the statement name of each step (a named prepared statement, parsed once per connection) */
  names?: readonly string[],
): Promise<Outcome> {
  // the common case, one statement on its own: no extra async frame on the hot path
  if (mode !== 'transaction' && steps.length === 1) return runStep(client, steps[0]!, values[0] ?? [], names?.[0]);
  const tx = mode === 'transaction';
  try {
    if (tx) await client.query('BEGIN');
    for (let i = 0; i < steps.length; i++) {
      const outcome = await runStep(client, steps[i]!, values[i] ?? [], names?.[i]);
      if (!outcome.ok) {
        if (tx) await client.query('ROLLBACK').catch(() => undefined);
        return outcome;
      }
    }
    if (tx) await client.query('COMMIT');
    return { ok: true };
  } catch (err) {
    if (tx) await client.query('ROLLBACK').catch(() => undefined);
    return failure(err);
  }
}

const OK: Outcome = Object.freeze({ ok: true });

/**
 * One statement; resolves to its outcome, never rejects. Through pg's callback form: its promise
 * form adds a promise per query and captures a stack trace per failure, which a break that fails
 * every query (0A000 after a migration) pays thousands of times a second.
 */
function runStep(client: pg.ClientBase, step: Step, values: ParamValue[], name: string | undefined): Promise<Outcome> {
  // without parameters (and not prepared) the simple query protocol: one message, as psql sends
  const config: pg.QueryConfig | string = name !== undefined ? { name, text: step.sql, values } : values.length > 0 ? { text: step.sql, values } : step.sql;
  return new Promise((resolve) => {
    const done = (err: Error | null, res: pg.QueryResult) => {
      if (err) resolve(failure(err));
      else if (!step.expect) resolve(OK);
      else resolve(expectation(step, res));
    };
    try {
      if (typeof config === 'string') client.query(config, done);
      else client.query(config, done);
    } catch (err) {
      // pg throws synchronously for a few misuses (e.g. a query on a client that ended)
      resolve(failure(err));
    }
  });
}

function expectation(step: Step, res: pg.QueryResult): Outcome {
  const last = Array.isArray(res) ? (res as pg.QueryResult[]).at(-1)! : res;
  const columns = last.fields?.map((f) => f.name) ?? [];
  const reason = checkExpectation(step.expect!, {
    columns,
    rows: last.rows ?? [],
    rowCount: columns.length > 0 ? (last.rows?.length ?? 0) : (last.rowCount ?? 0),
  });
  return reason ? { ok: false, sqlstate: 'EXPECT', message: reason } : OK;
}

/** An error as an outcome: its SQLSTATE, or CLIENT for a connection or driver error. The message only
 *  (details can quote row values, and distinct failures are counted by message). */
export function failure(err: unknown): Outcome {
  const e = err as Partial<pg.DatabaseError> & Error;
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : 'CLIENT';
  return { ok: false, sqlstate: code, message: e?.message ?? String(err) };
}

/** A connection-level failure: the client should be discarded, not returned to its pool. */
export const isConnectionFailure = (o: Outcome) => o.sqlstate === 'CLIENT' || o.sqlstate?.startsWith('08') === true || o.sqlstate === '57P01';

/** The statement names of a prepared query's steps (unique per app, whose connections they live on). */
export const statementNames = (query: { name: string; steps: unknown[] }): string[] => query.steps.map((_, i) => `rehearse:${query.name}:${i}`);
