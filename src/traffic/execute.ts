import { checkExpectation } from './expect.ts';
import type { Outcome } from './stats.ts';
import type { ParamValue, Step } from './types.ts';
import type { WireConnection } from './wire.ts';

/**
 * Run the steps of one execution on a connection: in a transaction (BEGIN … COMMIT, ROLLBACK on
 * failure) or each on its own. An unmet expectation is a failure with the pseudo-SQLSTATE EXPECT
 * (a transaction is then rolled back). Never throws for a database error: the outcome says it.
 */
export async function runExecution(
  client: WireConnection,
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
    if (tx) await client.exec('BEGIN');
    for (let i = 0; i < steps.length; i++) {
      const outcome = await runStep(client, steps[i]!, values[i] ?? [], names?.[i]);
      if (!outcome.ok) {
        if (tx) await client.exec('ROLLBACK').catch(() => undefined);
        return outcome;
      }
    }
    if (tx) await client.exec('COMMIT');
    return { ok: true };
  } catch (err) {
    if (tx) await client.exec('ROLLBACK').catch(() => undefined);
    return failure(err);
  }
}

const OK: Outcome = Object.freeze({ ok: true });

/** One statement; resolves to its outcome, never rejects (no promise or stack trace per failure beyond this one). */
function runStep(client: WireConnection, step: Step, values: ParamValue[], name: string | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    client.run(step.sql, values, name, step.expect !== undefined, (err, res) => {
      if (err) resolve(failure(err));
      else if (!step.expect || !res) resolve(OK);
      else {
        const reason = checkExpectation(step.expect, res);
        resolve(reason ? { ok: false, sqlstate: 'EXPECT', message: reason } : OK);
      }
    });
  });
}

/** An error as an outcome: its SQLSTATE, or CLIENT for a connection or driver error. The message only
 *  (details can quote row values, and distinct failures are counted by message). */
export function failure(err: unknown): Outcome {
  const e = err as Partial<{ code: string }> & Error;
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : 'CLIENT';
  return { ok: false, sqlstate: code, message: e?.message ?? String(err) };
}

/** A connection-level failure: the client should be discarded, not returned to its pool. */
export const isConnectionFailure = (o: Outcome) => o.sqlstate === 'CLIENT' || o.sqlstate?.startsWith('08') === true || o.sqlstate === '57P01';

/** The statement names of a prepared query's steps (unique per app, whose connections they live on). */
export const statementNames = (query: { name: string; steps: unknown[] }): string[] => query.steps.map((_, i) => `rehearse:${query.name}:${i}`);
