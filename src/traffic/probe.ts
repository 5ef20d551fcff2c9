import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { probeTag } from '../observe/index.ts';
import { runExecution } from './execute.ts';
import { drawExecution, loadSamples, SampleError, sampleSpecs } from './params.ts';
import type { ProbeResult, Workload } from './types.ts';

export interface ProbeOptions {
  /** values read per sampled column (default 100: a probe needs one) */
  sampleLimit?: number;
  /** a probe that waits longer than this for a lock fails with 55P03 (default 5000) */
  lockTimeoutMs?: number;
  /** and one that runs longer than this with 57014 (default 30000) */
  statementTimeoutMs?: number;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Run every query of every app once against the schema as it is now, each in a transaction that
 * is rolled back (probes change no data; sequences they advance stay advanced). Parameters are
 * drawn as in the traffic, sampled columns re-read for this state. The background transactions
 * are not probed. Apps are probed one after another, in workload order; each on a connection
 * tagged rehearse/probe/<app>/<query>.
 */
export async function probeAll(url: string, workload: Workload, options: ProbeOptions = {}): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  const client = new pg.Client({
    connectionString: url,
    application_name: probeTag('setup'),
    lock_timeout: options.lockTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
  });
  await client.connect();
  try {
    const samples = await loadSamples(client, sampleSpecs(workload), options.sampleLimit ?? 100);
    for (const app of workload.apps) {
      for (const q of app.queries) {
        await client.query('SELECT set_config($1, $2, false)', ['application_name', probeTag(app.name, q.name)]);
        const started = now();
        let values;
        try {
          values = drawExecution(q, samples);
        } catch (err) {
          const e = err as SampleError;
          results.push({ app: app.name, query: q.name, ok: false, sqlstate: e.sqlstate ?? 'SAMPLE', message: e.message, ms: 0 });
          continue;
        }
        await client.query('BEGIN');
        const outcome = await runExecution(client, q.steps, values, 'inside');
        await client.query('ROLLBACK');
        const ms = Math.round((now() - started) * 1000) / 1000;
        results.push(outcome.ok ? { app: app.name, query: q.name, ok: true, ms } : { app: app.name, query: q.name, ok: false, sqlstate: outcome.sqlstate ?? 'CLIENT', message: outcome.message ?? '', ms });
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return results;
}
