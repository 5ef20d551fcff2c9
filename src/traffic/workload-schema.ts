import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { parseRows } from './expect.ts';
import type { Expectation, ParamSpec, ParamValue } from './types.ts';

/**
 * The workload file as zod validates it (docs/workload.md). Unknown keys are errors everywhere;
 * parameter generators, durations and row expectations are checked by hand for clear messages.
 */

export const NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const Name = z.string().regex(NAME, 'names are letters, digits, _ . - and start with a letter');

const isScalar = (v: unknown): v is ParamValue => v === null || ['string', 'number', 'boolean'].includes(typeof v);

const GENERATORS = 'int, pick, sample, uuid, text, var';

/** One parameter: a constant, or a generator object with exactly one key. */
export function parseParam(v: unknown): ParamSpec | string {
  if (isScalar(v)) return { kind: 'const', value: v };
  if (typeof v !== 'object' || Array.isArray(v)) return `a parameter is a constant or one of { ${GENERATORS} }`;
  const keys = Object.keys(v);
  if (keys.length !== 1) return `a parameter generator has exactly one key (${GENERATORS}), got ${keys.length ? keys.join(', ') : 'none'}`;
  const key = keys[0]!;
  const arg = (v as Record<string, unknown>)[key];
  switch (key) {
    case 'int': {
      if (!Array.isArray(arg) || arg.length !== 2 || !arg.every((n) => Number.isSafeInteger(n)) || arg[0] > arg[1]) {
        return 'int takes [lo, hi], two integers with lo <= hi';
      }
      return { kind: 'int', lo: arg[0] as number, hi: arg[1] as number };
    }
    case 'pick':
      if (!Array.isArray(arg) || arg.length === 0 || !arg.every(isScalar)) return 'pick takes a non-empty list of constants';
      return { kind: 'pick', values: arg };
    case 'sample': {
      const parts = typeof arg === 'string' ? arg.split('.') : [];
      if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.trim() === '')) return "sample takes 'table.column' (or 'schema.table.column')";
      const column = parts.pop()!.trim();
      const relation = parts.map((p) => p.trim()).join('.');
      return { kind: 'sample', relation, column, key: `${relation}.${column}` };
    }
    case 'uuid':
      if (arg !== true) return 'uuid takes true';
      return { kind: 'uuid' };
    case 'text':
      if (!Number.isInteger(arg) || (arg as number) < 1 || (arg as number) > 100_000) return 'text takes a length from 1 to 100000';
      return { kind: 'text', length: arg as number };
    case 'var':
      if (typeof arg !== 'string' || !NAME.test(arg)) return "var takes the name of one of the query's vars";
      return { kind: 'var', name: arg };
    default:
      return `unknown parameter generator "${key}" (known: ${GENERATORS})`;
  }
}

const Param = z.unknown().transform((v, ctx) => {
  const spec = parseParam(v);
  if (typeof spec === 'string') {
    ctx.addIssue({ code: 'custom', message: spec });
    return z.NEVER;
  }
  return spec;
});

export const Duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration with a unit, like "500ms" or "0.5s", got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

const Expect = z
  .object({
    rows: z
      .union([z.string(), z.number()])
      .transform((v, ctx) => {
        const rows = parseRows(v);
        if (!rows) {
          ctx.addIssue({ code: 'custom', message: `expected a row count like 1, "=0", ">=1", "<=10", got ${JSON.stringify(v)}` });
          return z.NEVER;
        }
        return rows;
      })
      .optional(),
    notNull: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .transform((e): Expectation => ({ ...(e.rows ? { rows: e.rows } : {}), ...(e.notNull ? { notNull: e.notNull } : {}) }));

const Step = z
  .object({
    sql: z.string().trim().min(1),
    params: z.array(Param).default([]),
    expect: Expect.optional(),
  })
  .strict();

const Vars = z.record(Name, Param);

/** The statements part shared by queries and background transactions: sql (+ params) or transaction: [steps]. */
const statements = {
  sql: z.string().trim().min(1).optional(),
  params: z.array(Param).optional(),
  transaction: z.array(Step).min(1).optional(),
  vars: Vars.optional(),
};

const oneOfSqlOrTransaction = (q: { sql?: string | undefined; params?: unknown; transaction?: unknown }, ctx: z.RefinementCtx) => {
  if ((q.sql === undefined) === (q.transaction === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give either sql (one statement) or transaction (a list of steps)' });
  }
  if (q.transaction && q.params) ctx.addIssue({ code: 'custom', path: ['params'], message: 'with transaction, params go on each step' });
};

const Query = z
  .object({
    name: Name,
    ...statements,
    rate: z.number().positive().max(100_000).optional(),
    expect: Expect.optional(),
    prepared: z.boolean().optional(),
  })
  .strict()
  .superRefine(oneOfSqlOrTransaction);

const App = z
  .object({
    role: z.enum(['old', 'new']).optional(),
    clients: z.number().int().min(1).max(10_000).default(1),
    statementTimeout: Duration.optional(),
    prepared: z.boolean().default(false),
    connectionLifetime: Duration.refine((ms) => ms > 0, 'connectionLifetime must be more than 0').optional(),
    queries: z.array(Query).optional(),
    pgbench: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().min(1)).min(1)).optional(),
    pgbenchRate: z.number().positive().max(100_000).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (!a.queries?.length && !a.pgbench) ctx.addIssue({ code: 'custom', message: 'an app needs queries or a pgbench script' });
    if (a.pgbenchRate !== undefined && !a.pgbench) ctx.addIssue({ code: 'custom', path: ['pgbenchRate'], message: 'pgbenchRate applies to pgbench scripts' });
  });

const Background = z
  .object({
    name: Name,
    app: Name,
    ...statements,
    at: Duration.default(0),
  })
  .strict()
  .superRefine(oneOfSqlOrTransaction);

export const WorkloadSchema = z
  .object({
    apps: z.record(Name, App).refine((apps) => Object.keys(apps).length > 0, 'at least one app'),
    background: z.array(Background).default([]),
  })
  .strict();

export type RawWorkload = z.infer<typeof WorkloadSchema>;
export type RawQuery = z.infer<typeof Query>;
export type RawBackground = z.infer<typeof Background>;
