import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ParamSpec, ParamValue, QuerySpec, Step, Workload } from './types.ts';

/**
 * Parameter values for each execution. Sampled columns are read once (see loadSamples); everything
 * else is drawn fresh per execution.
 */

/** Sampled values per 'relation.column', or why there are none. */
export type Samples = Map<string, ParamValue[] | SampleError>;

export class SampleError extends Error {
  constructor(
    readonly key: string,
    readonly sqlstate: string,
    message: string,
  ) {
    super(message);
    this.name = 'SampleError';
  }
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const pickOne = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]!;

/** One value of a generator; throws SampleError when a sampled column has no values. */
export function draw(spec: ParamSpec, samples: Samples, vars: Map<string, ParamValue>): ParamValue {
  switch (spec.kind) {
    case 'const':
      return spec.value;
    case 'int':
      return randomInt(spec.lo, spec.hi);
    case 'pick':
      return pickOne(spec.values);
    case 'uuid':
      return randomUUID();
    case 'text': {
      let s = '';
      for (let i = 0; i < spec.length; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
      return s;
    }
    case 'sample': {
      const values = samples.get(spec.key);
      if (values === undefined) throw new SampleError(spec.key, 'SAMPLE', `${spec.key} was not sampled`);
      if (values instanceof SampleError) throw values;
      return pickOne(values);
    }
    case 'var':
      return vars.get(spec.name) ?? null;
  }
}

/** The variables of one execution, then the parameter values of each step. */
export function drawExecution(query: Pick<QuerySpec, 'vars' | 'steps'>, samples: Samples): ParamValue[][] {
  const vars = new Map<string, ParamValue>();
  for (const v of query.vars) vars.set(v.name, draw(v.spec, samples, vars));
  return query.steps.map((s) => s.params.map((p) => draw(p, samples, vars)));
}

/** Every distinct sampled column of a workload. */
export function sampleSpecs(workload: Workload): Extract<ParamSpec, { kind: 'sample' }>[] {
  const found = new Map<string, Extract<ParamSpec, { kind: 'sample' }>>();
  const visit = (specs: ParamSpec[]) => specs.forEach((p) => p.kind === 'sample' && found.set(p.key, p));
  const steps: Step[] = [];
  for (const app of workload.apps) {
    for (const q of app.queries) {
      steps.push(...q.steps);
      visit(q.vars.map((v) => v.spec));
    }
  }
  for (const b of workload.background) {
    steps.push(...b.steps);
    visit(b.vars.map((v) => v.spec));
  }
  steps.forEach((s) => visit(s.params));
  return [...found.values()];
}

const quoteRelation = (relation: string) =>
  relation
    .split('.')
    .map((p) => pg.escapeIdentifier(p))
    .join('.');

/** Where samples are read: pg.Client or the traffic's WireConnection. */
export interface SampleSource {
  query(sql: string, values?: ParamValue[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Read up to `limit` existing non-null values of each sampled column (as text), in one pass per
 * column: a TABLESAMPLE of about 3 × limit rows on a big table, ORDER BY random() on a small one.
 * A column that cannot be read (missing, no rows) gets a SampleError, not an exception.
 */
export async function loadSamples(client: SampleSource, specs: Extract<ParamSpec, { kind: 'sample' }>[], limit: number): Promise<Samples> {
  const samples: Samples = new Map();
  for (const spec of specs) {
    const rel = quoteRelation(spec.relation);
    const col = pg.escapeIdentifier(spec.column);
    try {
      const est = await client.query('SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass($1)', [rel]);
      const rows = Number(est.rows[0]?.n ?? -1);
      let values: ParamValue[] = [];
      if (rows > limit * 10) {
        const percent = Math.min(100, (100 * limit * 3) / rows);
        const res = await client.query(`SELECT ${col}::text AS v FROM ${rel} TABLESAMPLE SYSTEM (${percent}) WHERE ${col} IS NOT NULL LIMIT ${limit}`);
        values = res.rows.map((r) => r.v as string);
      }
      if (values.length < Math.min(limit, 100)) {
        const res = await client.query(`SELECT ${col}::text AS v FROM ${rel} WHERE ${col} IS NOT NULL ORDER BY random() LIMIT ${limit}`);
        values = res.rows.map((r) => r.v as string);
      }
      samples.set(spec.key, values.length > 0 ? values : new SampleError(spec.key, 'SAMPLE', `no non-null values to sample in ${spec.key}`));
    } catch (err) {
      const e = err as pg.DatabaseError;
      samples.set(spec.key, new SampleError(spec.key, e.code ?? 'CLIENT', `sampling ${spec.key}: ${e.message ?? String(err)}`));
    }
  }
  return samples;
}
