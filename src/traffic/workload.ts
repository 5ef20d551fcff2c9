import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document } from 'yaml';
import type { z } from 'zod';
import { describeError, usageError } from '../core/errors.ts';
import { MAX_APPLICATION_NAME, PROBE_PREFIX } from '../observe/index.ts';
import { parsePgbenchScript } from './pgbench.ts';
import type { AppRole, AppSpec, BackgroundSpec, Expectation, ParamSpec, QuerySpec, Step, Workload } from './types.ts';
import { WorkloadSchema, type RawQuery } from './workload-schema.ts';

/** Reads a pgbench script named in the workload (relative to the workload file's folder). */
export type ScriptReader = (path: string) => string;

/** Read and validate a workload file (YAML or JSON). Errors are usage errors naming file, line and key path. */
export async function readWorkload(file: string): Promise<Workload> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read the workload file ${file}: ${describeError(err)}`, 'check the --workload path');
  }
  return parseWorkload(text, file);
}

/**
 * Validate a workload (YAML; JSON is YAML too). `file` names it in messages and anchors relative
 * pgbench script paths. The first app is the old version and the last the new one, unless apps are
 * named old/new or say `role:`.
 */
export function parseWorkload(text: string, file: string, readScript: ScriptReader = (p) => readFileSync(p, 'utf8')): Workload {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    const at = lines.linePos(firstError.pos[0]).line;
    throw usageError(`${file}:${at}: not valid YAML or JSON: ${firstError.message.split('\n')[0]}`);
  }
  const raw = doc.toJS() as unknown;
  if (raw === null || raw === undefined) throw usageError(`${file}: the workload file is empty`, 'see docs/workload.md');

  const parsed = WorkloadSchema.safeParse(raw);
  if (!parsed.success) throw schemaError(parsed.error.issues[0]!, file, doc, lines);
  const data = parsed.data;
  const fail = (path: (string | number)[], message: string, hint?: string) =>
    usageError(`${file}${lineOf(doc, lines, path)}: ${pathText(path)}: ${message}`, hint);

  const apps: AppSpec[] = [];
  for (const [name, app] of Object.entries(data.apps)) {
    const queries: QuerySpec[] = (app.queries ?? []).map((q, i) => toQuery(q, ['apps', name, 'queries', i], file, fail, app.prepared));
    (app.pgbench ?? []).forEach((script, i) => {
      const path = resolve(dirname(file), script);
      let body: string;
      try {
        body = readScript(path);
      } catch (err) {
        throw fail(['apps', name, 'pgbench', ...(app.pgbench!.length > 1 ? [i] : [])], `cannot read the pgbench script ${script}: ${describeError(err)}`);
      }
      queries.push({ ...parsePgbenchScript(body, script, app.pgbenchRate ?? null), prepared: app.prepared });
    });
    const seen = new Set<string>();
    queries.forEach((q, i) => {
      if (seen.has(q.name)) throw fail(['apps', name, 'queries', i, 'name'], `query name "${q.name}" is used twice in app ${name}`);
      seen.add(q.name);
      checkNameLength(name, q.name, ['apps', name, 'queries', i, 'name'], fail);
    });
    apps.push({
      name,
      role: 'other',
      clients: app.clients,
      statementTimeoutMs: app.statementTimeout ?? null,
      connectionLifetimeMs: app.connectionLifetime ?? null,
      queries,
    });
  }
  assignRoles(apps, data.apps, fail);

  const background: BackgroundSpec[] = data.background.map((b, i) => {
    const path = ['background', i];
    const app = apps.find((a) => a.name === b.app);
    if (!app) throw fail([...path, 'app'], `no app named "${b.app}"`, `apps: ${apps.map((a) => a.name).join(', ')}`);
    if (app.queries.some((q) => q.name === b.name) || data.background.some((o, j) => j < i && o.app === b.app && o.name === b.name)) {
      throw fail([...path, 'name'], `"${b.name}" is already a query or background name of app ${b.app}`);
    }
    checkNameLength(b.app, b.name, [...path, 'name'], fail);
    const { steps, vars } = toSteps(b, path, fail);
    return { name: b.name, app: b.app, steps, vars, atMs: b.at };
  });

  return { file, apps, background };
}

type Fail = (path: (string | number)[], message: string, hint?: string) => Error;

function toQuery(q: RawQuery, path: (string | number)[], file: string, fail: Fail, appPrepared: boolean): QuerySpec {
  const { steps, vars } = toSteps(q, path, fail);
  if (q.expect) {
    const last = steps.at(-1)!;
    if (last.expect) throw fail([...path, 'expect'], 'expect is given on the query and on its last step; keep one');
    last.expect = q.expect;
  }
  return {
    name: q.name,
    steps,
    transaction: q.transaction !== undefined,
    vars,
    rate: q.rate ?? null,
    prepared: q.prepared ?? appPrepared,
    source: `${file} ${pathText(path)}`,
  };
}

function toSteps(
  q: {
    sql?: string | undefined;
    params?: ParamSpec[] | undefined;
    transaction?: { sql: string; params: ParamSpec[]; expect?: Expectation | undefined }[] | undefined;
    vars?: Record<string, ParamSpec> | undefined;
  },
  path: (string | number)[],
  fail: Fail,
): { steps: Step[]; vars: { name: string; spec: ParamSpec }[] } {
  const vars = Object.entries(q.vars ?? {}).map(([name, spec]) => ({ name, spec }));
  vars.forEach((v) => {
    if (v.spec.kind === 'var') throw fail([...path, 'vars', v.name], 'a var cannot refer to another var');
  });
  const steps: Step[] = q.transaction
    ? q.transaction.map((s) => ({ sql: s.sql, params: s.params, ...(s.expect ? { expect: s.expect } : {}) }))
    : [{ sql: q.sql!, params: q.params ?? [] }];
  steps.forEach((s, i) =>
    s.params.forEach((p, j) => {
      if (p.kind === 'var' && !vars.some((v) => v.name === p.name)) {
        const at = q.transaction ? [...path, 'transaction', i, 'params', j] : [...path, 'params', j];
        throw fail(at, `var "${p.name}" is not defined`, 'define it under vars: of the same query');
      }
    }),
  );
  return { steps, vars };
}

function checkNameLength(app: string, query: string, path: (string | number)[], fail: Fail) {
  const room = MAX_APPLICATION_NAME - PROBE_PREFIX.length - 1;
  if (app.length + query.length > room) {
    throw fail(
      path,
      `app and query names together must fit ${room} characters ("${app}" + "${query}" is ${app.length + query.length})`,
      'they tag the connections in application_name, which PostgreSQL cuts at 63 bytes',
    );
  }
}

function assignRoles(apps: AppSpec[], raw: Record<string, { role?: 'old' | 'new' | undefined }>, fail: Fail) {
  const byRole = (role: 'old' | 'new') => {
    const explicit = apps.filter((a) => raw[a.name]?.role === role);
    if (explicit.length > 1) throw fail(['apps', explicit[1]!.name, 'role'], `more than one app has role ${role}`);
    return explicit[0] ?? apps.find((a) => a.name === role && raw[a.name]?.role === undefined);
  };
  let old = byRole('old');
  let neu = byRole('new');
  old ??= apps.find((a) => a !== neu);
  if (!neu && apps.length > 1) neu = [...apps].reverse().find((a) => a !== old);
  for (const a of apps) a.role = (a === old ? 'old' : a === neu ? 'new' : 'other') as AppRole;
}

function schemaError(issue: z.core.$ZodIssue, file: string, doc: Document, lines: LineCounter): Error {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return usageError(
      `${file}${lineOf(doc, lines, path, key)}: ${pathText([...path, key])}: unknown key "${key}"`,
      `see docs/workload.md for the keys of ${path.length ? pathText(path) : 'the top level'}`,
    );
  }
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'required';
  return usageError(`${file}${lineOf(doc, lines, path)}: ${pathText(path) || '(top level)'}: ${message}`, 'see docs/workload.md');
}

/** apps.old.queries[0].params[1] */
export function pathText(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** ':12' for the line of a key path in the YAML document (the key's own line when `key` is given), '' when unknown. */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[], key?: string): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (!node) continue;
    let offset = node.range?.[0];
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key)) offset = pair.key.range?.[0];
    }
    if (offset !== undefined) return `:${lines.linePos(offset).line}`;
  }
  return '';
}
