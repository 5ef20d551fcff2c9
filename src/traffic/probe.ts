import { performance } from 'node:perf_hooks';
import { probeTag } from '../observe/index.ts';
import { runExecution, statementNames } from './execute.ts';
import { redactMessage } from './log/redact.ts';
import { drawExecution, loadSamples, type SampleError, sampleSpecs, type Samples } from './params.ts';
import type { AppSpec, ParamValue, ProbeResult, QuerySpec, Workload } from './types.ts';
import { WireConnection } from './wire.ts';

export interface ProbeOptions {
  /** values read per sampled column (default 100: a probe needs one) */
  sampleLimit?: number;
  /** a probe that waits longer than this for a lock fails with 55P03 (default 5000) */
  lockTimeoutMs?: number;
  /** and one that runs longer than this with 57014 (default 30000) */
  statementTimeoutMs?: number;
}

/** Probes the same workload at each schema state, keeping the connections prepared apps prepared on. */
export interface Prober {
  probe(): Promise<ProbeResult[]>;
  close(): Promise<void>;
}

const now = () => performance.timeOrigin + performance.now();
const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Run every query of every app once against the schema as it is now, each in a transaction that
 * is rolled back (probes change no data; sequences they advance stay advanced). Parameters are
 * drawn as in the traffic, sampled columns re-read for this state. The background transactions
 * are not probed. Apps are probed one after another, in workload order; each on a connection
 * tagged rehearse/probe/<app>/<query>. One-shot: prepared queries are prepared on the spot (use
 * openProber to probe states in turn as a long-lived pool would).
 */
export async function probeAll(url: string, workload: Workload, options: ProbeOptions = {}): Promise<ProbeResult[]> {
  const prober = await openProber(url, workload, options);
  try {
    return await prober.probe();
  } finally {
    await prober.close();
  }
}

/**
 * A prober for the states of one rehearsal. An app with prepared queries is probed on a connection
 * of its own that stays open from state to state, so its statements stay prepared from the first
 * state they were prepared in, as in an application's long-lived pool: a schema change that breaks
 * them (0A000 "cached plan must not change result type" after ADD COLUMN under a SELECT *) fails
 * the probe. Such a failure is checked on a fresh connection: when the query passes there, the
 * result says healsOnReconnect (restarting or re-preparing the app's connections heals it).
 */
export async function openProber(url: string, workload: Workload, options: ProbeOptions = {}): Promise<Prober> {
  const connect = (tag: string) =>
    WireConnection.open({
      connectionString: url,
      application_name: tag,
      lock_timeout: options.lockTimeoutMs ?? 5000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
    });
  const setup = await connect(probeTag('setup'));
  const longLived = new Map<AppSpec, WireConnection>();
  try {
    for (const app of workload.apps) if (app.queries.some((q) => q.prepared)) longLived.set(app, await connect(probeTag(app.name)));
  } catch (err) {
    await Promise.allSettled([setup, ...longLived.values()].map((c) => c.end()));
    throw err;
  }

  const runOn = async (client: WireConnection, app: AppSpec, q: QuerySpec, values: ParamValue[][]) => {
    await client.exec('SELECT set_config($1, $2, false)', ['application_name', probeTag(app.name, q.name)]);
    await client.exec('BEGIN');
    const outcome = await runExecution(client, q.steps, values, 'inside', q.prepared ? statementNames(q) : undefined);
    await client.exec('ROLLBACK');
    return outcome;
  };

  return {
    async probe() {
      const results: ProbeResult[] = [];
      const samples: Samples = await loadSamples(setup, sampleSpecs(workload), options.sampleLimit ?? 100);
      for (const app of workload.apps) {
        for (const q of app.queries) {
          // a log's statements: only its single DML statements are probed (docs/workload.md, Replaying a log)
          if (q.probe === false) continue;
          const started = now();
          let values;
          try {
            values = drawExecution(q, samples);
          } catch (err) {
            const e = err as SampleError;
            results.push({ app: app.name, query: q.name, ok: false, sqlstate: e.sqlstate ?? 'SAMPLE', message: e.message, ms: 0 });
            continue;
          }
          const client = (q.prepared && longLived.get(app)) || setup;
          const outcome = await runOn(client, app, q, values);
          const ms = round(now() - started);
          if (outcome.ok) {
            results.push({ app: app.name, query: q.name, ok: true, ms });
            continue;
          }
          const message = q.literals ? redactMessage(outcome.message ?? '', q.literals) : (outcome.message ?? '');
          const result: ProbeResult = { app: app.name, query: q.name, ok: false, sqlstate: outcome.sqlstate ?? 'CLIENT', message, ms };
          if (client !== setup) {
            // does a fresh connection, preparing anew, pass?
            const fresh = await connect(probeTag(app.name, q.name));
            try {
              if ((await runOn(fresh, app, q, values)).ok) result.healsOnReconnect = true;
            } finally {
              await fresh.end();
            }
          }
          results.push(result);
        }
      }
      return results;
    },
    async close() {
      await Promise.allSettled([setup, ...longLived.values()].map((c) => c.end()));
    },
  };
}
