import { parseSync } from 'libpg-query';
import { qualifiedTableName, type StatsFile, type TableStats, type TrafficStatement } from '../../stats/index.ts';
import type { ParamYaml } from './types.ts';

/**
 * Parameters of a normalized statement bound by reading its parse tree (libpg-query, loaded by the
 * caller): `col = $n` (and <, >, <>, LIKE), `IN ($n, …)`, `BETWEEN $n AND $m`, `= ANY($n)` → a
 * value sampled from that column; `LIMIT $n` from the rows per call, `OFFSET $n` 0; a value
 * written by INSERT or UPDATE from the column's type and statistics — fresh (uuid, an integer above
 * any known, random text) where a unique index would reject a repeated one. Pure.
 */

type Node = Record<string, unknown>;
type Tables = StatsFile['tables'];

export type Binding = { sql: string; params: ParamYaml[]; notes: string[] } | { reason: string };

const COMPARISONS = new Set(['=', '<', '>', '<=', '>=', '<>', '!=', '~~', '~~*']);
const MATCHING_KINDS = new Set([
  'AEXPR_OP',
  'AEXPR_IN',
  'AEXPR_OP_ANY',
  'AEXPR_BETWEEN',
  'AEXPR_NOT_BETWEEN',
  'AEXPR_BETWEEN_SYM',
  'AEXPR_NOT_BETWEEN_SYM',
  'AEXPR_LIKE',
  'AEXPR_ILIKE',
]);

interface ParamRef {
  number: number;
  location: number;
}

/** A ParamRef, through a cast (`$1::int`). */
function paramOf(n: unknown): ParamRef | null {
  if (typeof n !== 'object' || n === null) return null;
  const node = n as Node;
  if (node.ParamRef) return node.ParamRef as ParamRef;
  if (node.TypeCast) return paramOf((node.TypeCast as Node).arg);
  return null;
}

/** A column reference's name parts (`o.id` → ['o', 'id']), through a cast; null for anything else. */
function columnOf(n: unknown): string[] | null {
  if (typeof n !== 'object' || n === null) return null;
  const node = n as Node;
  if (node.TypeCast) return columnOf((node.TypeCast as Node).arg);
  const ref = node.ColumnRef as { fields?: Node[] } | undefined;
  if (!ref?.fields?.every((f) => f.String)) return null;
  return ref.fields.map((f) => (f.String as { sval: string }).sval);
}

function walk(value: unknown, visit: (key: string, node: Node) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value as Node)) {
    if (/^[A-Z]/.test(key) && typeof child === 'object' && child !== null && !Array.isArray(child)) visit(key, child as Node);
    walk(child, visit);
  }
}

const unquote = (s: string) => s.replace(/"/g, '');

/** Statement's relations: alias or name → qualified table. */
function relationsOf(tree: Node): Map<string, string> {
  const map = new Map<string, string>();
  const add = (r: Node) => {
    const name = qualifiedTableName(r.schemaname ? `${r.schemaname}.${r.relname}` : String(r.relname));
    map.set(String(r.relname), map.get(String(r.relname)) ?? name);
    const alias = (r.alias as { aliasname?: string } | undefined)?.aliasname;
    if (alias) map.set(alias, name);
  };
  walk(tree, (key, node) => {
    if (key === 'RangeVar') add(node);
    for (const k of ['relation'] as const) {
      const r = node[k] as Node | undefined;
      if (r && typeof r === 'object' && 'relname' in r) add(r);
    }
  });
  return map;
}

interface Column {
  table: string;
  column: string;
  stats: TableStats;
}

function resolveColumn(parts: string[], relations: Map<string, string>, tables: Tables): Column | string {
  const column = unquote(parts.at(-1)!);
  const has = (t: string) => {
    const ts = tables[t];
    return ts && (ts.columnTypes?.[column] !== undefined || ts.columns?.[column] !== undefined);
  };
  let candidates: string[];
  if (parts.length >= 2) {
    const qualifier = parts.slice(0, -1).map(unquote).join('.');
    const t = relations.get(qualifier) ?? qualifiedTableName(qualifier);
    candidates = [t];
  } else {
    candidates = [...new Set(relations.values())];
  }
  const found = candidates.filter((t) => has(t));
  if (found.length >= 1) return { table: found[0]!, column, stats: tables[found[0]!]! };
  if (candidates.length === 1 && tables[candidates[0]!]) return { table: candidates[0]!, column, stats: tables[candidates[0]!]! };
  return `column ${parts.join('.')} is in no table of the statistics file (${candidates.join(', ') || 'no table named'})`;
}

/** `public.orders.id` → `orders.id` (what `sample:` reads; a schema other than public stays). */
const sampleKey = (c: Column) => `${c.table.startsWith('public.') ? c.table.slice(7) : c.table}.${c.column}`;

const INT_MAX = 2_147_483_647;
const BIG_LO = 2 ** 52;
const BIG_HI = Number.MAX_SAFE_INTEGER;

/** The largest value statistics show for a column (histogram or most common values: only in a file with values). */
function knownMax(c: Column): number | null {
  const s = c.stats.columns?.[c.column];
  const values = [...(s?.histogramBounds ?? []), ...(s?.mostCommonVals ?? [])].map(Number).filter((n) => Number.isFinite(n));
  return values.length ? Math.max(...values) : null;
}

/** A value no row has yet, from the column's type; a string saying why when the type allows none. */
export function freshValue(type: string | undefined, c: Column): { value: ParamYaml; note: string } | string {
  if (!type) return `${c.table}.${c.column} is in a unique index and its type is unknown (a statistics file from rehearse stats has columnTypes)`;
  const t = type.toLowerCase();
  const max = knownMax(c);
  if (t === 'uuid') return { value: { uuid: true }, note: `${c.column}: a random uuid (unique index)` };
  if (t === 'integer' || t === 'int' || t === 'int4') {
    const lo = Math.max(1_000_000_000, (max ?? 0) + 1);
    if (lo < INT_MAX) return { value: { int: [lo, INT_MAX] }, note: `${c.column}: an integer above any known (unique index)` };
  }
  if (t === 'bigint' || t === 'int8' || t === 'numeric') {
    const lo = Math.max(BIG_LO, (max ?? 0) + 1);
    if (lo < BIG_HI) return { value: { int: [lo, BIG_HI] }, note: `${c.column}: an integer above any known (unique index)` };
  }
  const varchar = /^(?:text|citext|character varying|varchar)(?:\((\d+)\))?$/.exec(t);
  if (varchar) {
    const n = varchar[1] ? Number(varchar[1]) : 24;
    if (n >= 8) return { value: { text: Math.min(n, 24) }, note: `${c.column}: random text of ${Math.min(n, 24)} characters (unique index)` };
  }
  return `${c.table}.${c.column} is in a unique index and a fresh ${type} cannot be made (uuid, integer, bigint, numeric and text can)`;
}

/** A value of a column's type for a write, when no existing value can be sampled. */
function valueOfType(type: string | undefined, c: Column): { value: ParamYaml } | string {
  if (!type) return `${c.table}.${c.column}: no rows to sample and no type known`;
  const t = type.toLowerCase();
  if (NUMERIC.test(t)) return { value: { int: [1, 1000] } };
  const text = /^(?:text|citext|character varying|varchar|character|char)(?:\((\d+)\))?$/.exec(t);
  if (text) return { value: { text: Math.max(1, Math.min(Number(text[1] ?? 0) || Math.round(c.stats.columns?.[c.column]?.avgWidth ?? 12), 64)) } };
  if (t === 'uuid') return { value: { uuid: true } };
  if (t === 'boolean') return { value: { pick: [true, false] } };
  if (/^(timestamp|date)/.test(t)) return { value: 'now' };
  if (t === 'json' || t === 'jsonb') return { value: '{}' };
  return `${c.table}.${c.column}: no rows to sample and no value of type ${type} to make`;
}

const NUMERIC = /^(smallint|integer|bigint|int[248]?|numeric.*|real|double precision|decimal.*)$/;
const ARITHMETIC = new Set(['+', '-', '*', '/']);

/** Bind every `$n` of a statement, or say why it cannot be. */
export function bindStatement(s: TrafficStatement, tables: Tables): Binding {
  let tree: Node;
  try {
    const stmt = parseSync(s.text).stmts?.[0]?.stmt as Node | undefined;
    if (!stmt) return { reason: 'the parser found no statement in it' };
    tree = stmt;
  } catch (err) {
    return { reason: `the parser cannot read it: ${(err as Error).message}` };
  }
  const relations = relationsOf(tree);
  const bound = new Map<number, ParamYaml>();
  const notes: string[] = [];
  const problems: string[] = [];
  /** `$n` → `ARRAY[$n::type]`: one sampled value where the statement takes an array */
  const arrayParams = new Map<number, { location: number; type: string | undefined }>();

  const bindRead = (param: ParamRef, parts: string[]) => {
    const c = resolveColumn(parts, relations, tables);
    if (typeof c === 'string') return problems.push(`$${param.number}: ${c}`);
    if (!bound.has(param.number)) bound.set(param.number, { sample: sampleKey(c) });
    return c;
  };

  const written = new Map<number, Column>();
  const bindWrite = (param: ParamRef, column: string, table: string | undefined) => {
    if (!table || !tables[table]) return problems.push(`$${param.number}: ${table ?? 'the target table'} is not in the statistics file`);
    written.set(param.number, { table, column: unquote(column), stats: tables[table]! });
  };

  walk(tree, (key, node) => {
    if (key === 'A_Expr' && MATCHING_KINDS.has(String(node.kind))) {
      const op = ((node.name as Node[] | undefined)?.[0]?.String as { sval?: string } | undefined)?.sval ?? '';
      if (node.kind === 'AEXPR_OP' && ARITHMETIC.has(op)) {
        // `qty + $1`: a small number when the column is numeric (never a sampled value: it would grow without bound)
        const parts = columnOf(node.lexpr) ?? columnOf(node.rexpr);
        const p = paramOf(node.rexpr) ?? paramOf(node.lexpr);
        if (!parts || !p || bound.has(p.number)) return;
        const c = resolveColumn(parts, relations, tables);
        if (typeof c === 'object' && NUMERIC.test(c.stats.columnTypes?.[c.column]?.toLowerCase() ?? '')) {
          bound.set(p.number, { int: [1, 10] });
          notes.push(`$${p.number}: 1 to 10 (${op} on ${c.column})`);
        }
        return;
      }
      if (node.kind === 'AEXPR_OP' && !COMPARISONS.has(op)) return;
      const sides: [unknown, unknown][] = [
        [node.lexpr, node.rexpr],
        [node.rexpr, node.lexpr],
      ];
      for (const [colSide, valueSide] of sides) {
        const parts = columnOf(colSide);
        if (!parts) continue;
        const items = ((valueSide as Node | undefined)?.List as { items?: unknown[] } | undefined)?.items ?? [valueSide];
        for (const item of items) {
          const p = paramOf(item);
          if (!p) continue;
          const c = bindRead(p, parts);
          if (node.kind === 'AEXPR_OP_ANY' && typeof c === 'object') arrayParams.set(p.number, { location: p.location, type: c.stats.columnTypes?.[c.column] });
        }
      }
    }
    if (key === 'SelectStmt') {
      const limit = paramOf(node.limitCount);
      if (limit) bound.set(limit.number, Math.max(1, Math.ceil(s.rowsPerCall)));
      const offset = paramOf(node.limitOffset);
      if (offset) bound.set(offset.number, 0);
      if (limit || offset)
        notes.push(`LIMIT ${limit ? Math.max(1, Math.ceil(s.rowsPerCall)) : '-'} from ${s.rowsPerCall} rows per call${offset ? ', OFFSET 0' : ''}`);
    }
    const target = node.relation as Node | undefined;
    const targetTable = target && 'relname' in target ? relations.get(String(target.alias ? (target.alias as Node).aliasname : target.relname)) : undefined;
    if (key === 'InsertStmt') {
      const cols = ((node.cols as Node[] | undefined) ?? []).map((c) => String((c.ResTarget as Node).name));
      const values = ((node.selectStmt as Node | undefined)?.SelectStmt as Node | undefined)?.valuesLists as Node[] | undefined;
      for (const row of values ?? []) {
        ((row.List as { items?: unknown[] }).items ?? []).forEach((item, i) => {
          const p = paramOf(item);
          if (p && cols[i]) bindWrite(p, cols[i]!, targetTable);
        });
      }
      const conflict = node.onConflictClause as Node | undefined;
      for (const t of (conflict?.targetList as Node[] | undefined) ?? []) {
        const r = t.ResTarget as Node;
        const p = paramOf(r.val);
        if (p && r.name) bindWrite(p, String(r.name), targetTable);
      }
    }
    if (key === 'UpdateStmt') {
      for (const t of (node.targetList as Node[] | undefined) ?? []) {
        const r = t.ResTarget as Node;
        const p = paramOf(r.val);
        if (p && r.name) bindWrite(p, String(r.name), targetTable);
      }
    }
  });

  // writes: fresh values for one column of every unique index written, the rest sampled or typed
  const fresh = new Map<string, ParamYaml>();
  const byTable = new Map<string, Column[]>();
  for (const c of written.values()) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c]);
  for (const [table, cols] of byTable) {
    const names = new Set(cols.map((c) => c.column));
    for (const [index, ix] of Object.entries(tables[table]?.indexes ?? {})) {
      if (!ix.unique || !ix.columns?.length) continue;
      const keyCols = ix.columns.map(unquote);
      if (!keyCols.every((k) => names.has(k))) continue;
      if (keyCols.some((k) => fresh.has(`${table}.${k}`))) continue;
      const tries = keyCols.map((k) => freshValue(tables[table]!.columnTypes?.[k], cols.find((c) => c.column === k)!));
      const ok = tries.find((t) => typeof t !== 'string');
      if (!ok) {
        problems.push(`unique index ${index}: ${tries[0] as string}`);
        continue;
      }
      const k = keyCols[tries.indexOf(ok)]!;
      fresh.set(`${table}.${k}`, ok.value);
      notes.push(ok.note);
    }
  }
  for (const [n, c] of written) {
    if (bound.has(n)) continue;
    const f = fresh.get(`${c.table}.${c.column}`);
    if (f !== undefined) {
      bound.set(n, f);
      continue;
    }
    const cs = c.stats.columns?.[c.column];
    if (c.stats.rows > 0 && (cs?.nullFrac ?? 0) < 1) {
      bound.set(n, { sample: sampleKey(c) });
      continue;
    }
    const v = valueOfType(c.stats.columnTypes?.[c.column], c);
    if (typeof v === 'string') problems.push(`$${n}: ${v}`);
    else {
      bound.set(n, v.value);
      notes.push(`${c.column}: a value of its type (the table has no rows to sample)`);
    }
  }

  const count = maxParam(tree);
  if (problems.length) return { reason: problems[0]! };
  for (let n = 1; n <= count; n++) {
    if (!bound.has(n)) return { reason: `$${n} is not compared with a column, a LIMIT/OFFSET or a written column: no value to draw for it` };
  }
  let sql = s.text;
  if (arrayParams.size) {
    // right to left so the earlier locations stay valid (byte offsets: the text is ASCII here, or mapped)
    const buf = Buffer.from(sql, 'utf8');
    const edits = [...arrayParams.entries()].sort((a, b) => b[1].location - a[1].location);
    let out = buf;
    for (const [n, { location, type }] of edits) {
      const token = `$${n}`;
      if (out.subarray(location, location + token.length).toString() !== token) return { reason: `$${n}: = ANY($${n}) not where the parser says` };
      const repl = Buffer.from(`ARRAY[${token}${type ? `::${type}` : ''}]`);
      out = Buffer.concat([out.subarray(0, location), repl, out.subarray(location + token.length)]);
    }
    sql = out.toString('utf8');
    notes.push(`= ANY($n) takes an array: one sampled value as ARRAY[$n]`);
  }
  return { sql, params: Array.from({ length: count }, (_, i) => bound.get(i + 1)!), notes };
}

function maxParam(tree: Node): number {
  let max = 0;
  walk(tree, (key, node) => {
    if (key === 'ParamRef') max = Math.max(max, Number(node.number));
  });
  return max;
}
