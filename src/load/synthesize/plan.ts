import pg from 'pg';
import { usageError } from '../../core/errors.ts';
import type { ColumnStats, StatsFile, TableStats } from '../../stats/index.ts';
import type { CatalogColumn, CatalogTable, SynthCatalog } from './types.ts';
import { domainSize, unsupportedPart, valueSql, type ValueContext } from './values.ts';
import { BinMemo, type BinValue, type BinWriter, valueBin } from './values-bin.ts';
import { SAFE, valueJs } from './values-js.ts';

/**
 * The plan: per table, how many rows and one SQL expression per column, each a pure function of
 * the row number `_k` (0-based) and, for tables with CHECK constraints, the draw `_t`.
 *
 * Per column, from its statistics (n rows, null_frac nf, n_distinct d, correlation):
 *   p     = the row's place: `_k` for a correlated column, else an affine permutation of `_k`
 *   null  = floor((p+1)·nf) > floor(p·nf)       → exactly floor(n·nf) NULLs, spread evenly
 *   rank  = p − floor(p·nf)                      → 0 … nn−1 over the non-null rows
 *   idx   = rank % d  (or rank·d/nn in order)    → exactly d distinct values
 *   value = valueSql(type, idx)                  → injective in idx
 * Keys (primary keys, columns a foreign key points at) are `idx = _k`: row k of a table has key
 * value key(k), so a child draws a parent row number j and writes key_parent(j) without reading
 * the parent. Fan-out: the child's d distinct parents are spread over the parent's rows.
 * Unique columns use idx = rank (every non-null row its own value). Composite keys made only of
 * foreign keys count in mixed radix over the parents.
 */

export interface TablePlan {
  table: CatalogTable;
  rows: number;
  statsRows: number;
  /** the written columns, in order, each its SQL and, when the client can make the same values, its
   *  COPY text per row number (values-js.ts) */
  columns: ({ name: string; domain: string | null } & ColumnValue)[];
  /** CHECK expressions a row must meet (redrawn up to DRAWS times) */
  checks: { name: string; expression: string }[];
  overridingSystemValue: boolean;
  /** columns with a sequence to move past the rows afterwards */
  sequences: { column: string; sequence: string }[];
}

export const DRAWS = 8;
/**
 * Draw t moves a column's index by t · step + DRAW_OFFSETS[t] (mod its distinct count): the
 * offsets (0, 1, 2, 3, 5, 7, 11, 13) vary the shift's residue modulo small numbers even when the
 * step shares a factor with the count, so a CHECK like `n % 3 <> 0` is escaped.
 */
const DRAW_OFFSETS = [0, 1, 2, 3, 5, 7, 11, 13];

/**
 * A column's COPY text (`\\N` for NULL) for row number k. `memo`, for a column whose values repeat
 * (a foreign key, a column with fewer distinct values than rows), makes a copy of the function
 * that keeps each value it made, so a repeated one is not made again (md5 and all): the same text,
 * made once per distinct value. A copy per fill (rowsInClient), so the values go with it.
 */
export type RowJs = ((k: number) => string) & { memo?: () => (k: number) => string };
/** The same value in COPY's binary format (values-bin.ts), written into a BinWriter; memo as for RowJs. */
export type RowBin = ((k: number, w: BinWriter) => void) & { memo?: () => (k: number, w: BinWriter) => void };
/** A column's value per row: its SQL (`_k` the row number), and when the client makes it, as COPY text and (some types) binary. */
interface ColumnValue {
  sql: string;
  js: RowJs | null;
  bin: RowBin | null;
}

/** The most values a memo keeps for one column (made lazily; a few MiB at typical widths). */
const MEMO_VALUES = 1 << 18;

/**
 * An int8 expression of the row number: its SQL, the same function in JS when a JS number holds
 * it exactly (null otherwise), and an upper bound of its values.
 */
interface IntExpr {
  sql: string;
  js: ((k: number) => number) | null;
  max: number;
}

const K = (n: number): IntExpr => ({ sql: '_k', js: (k) => k, max: Math.max(0, n - 1) });

/**
 * The table's rows made in the client (COPY text lines), when every column can be. For a table
 * with CHECKs or domains these are the rows of the first draw (`_t = 0`): the same rows the server
 * makes when each of them meets the constraints, and index.ts falls back to the server's redraws
 * when one does not (`redrawsOnServer`).
 */
export function rowsInClient(plan: TablePlan): ((k: number) => string) | null {
  if (plan.columns.length === 0 || plan.columns.some((c) => c.js === null)) return null;
  const fns = plan.columns.map((c) => c.js!.memo?.() ?? c.js!);
  return (k) => {
    let line = fns[0]!(k);
    for (let i = 1; i < fns.length; i++) line += `\t${fns[i]!(k)}`;
    return `${line}\n`;
  };
}

/**
 * The table's rows made in the client in COPY's binary format, when every column has a binary
 * writer (values-bin.ts): the same values as rowsInClient's text. null: the table stays text.
 */
export function rowsInClientBinary(plan: TablePlan): ((k: number, w: BinWriter) => void) | null {
  if (plan.columns.length === 0 || plan.columns.some((c) => c.bin === null)) return null;
  const fns = plan.columns.map((c) => c.bin!.memo?.() ?? c.bin!);
  const count = fns.length;
  return (k, w) => {
    w.int16(count);
    for (let i = 0; i < count; i++) fns[i]!(k, w);
  };
}

/**
 * How the client makes a table's rows, decided without making any (no memo is set up): COPY binary
 * when every column has a binary writer and `binary` allows it, COPY text when every column has a
 * text one, else null (the server makes them).
 */
export function clientFormat(plan: TablePlan, binary: boolean): 'binary' | 'text' | null {
  if (plan.columns.length === 0) return null;
  if (binary && plan.columns.every((c) => c.bin !== null)) return 'binary';
  return plan.columns.every((c) => c.js !== null) ? 'text' : null;
}

/** Whether the server may redraw or drop a row of the table (CHECKs, domains): the client's rows are then a first try. */
export const redrawsOnServer = (plan: TablePlan) => plan.checks.length > 0 || plan.columns.some((c) => c.domain !== null);

type ColumnRole = { role: 'key' } | { role: 'unique' } | { role: 'free' } | { role: 'default' } | { role: 'generated' } | { role: 'fk'; group: FkGroup };

interface FkGroup {
  constraint: string;
  columns: string[];
  parent: CatalogTable;
  parentColumns: string[];
  /** mixed-radix place within a composite key made of foreign keys; null otherwise */
  radix: { divisor: number; d: number } | null;
}

export interface PlanInput {
  catalog: SynthCatalog;
  stats: StatsFile;
  statsFile: string;
  fraction: number;
  seed: number;
}

const PRIMES = [1_000_003, 1_000_033, 1_000_037, 1_000_039, 1_000_081, 1_000_099, 1_000_117, 1_000_121, 1_000_133, 1_000_151, 1_000_159, 1_000_171];

export function planSynthesis(input: PlanInput): TablePlan[] {
  const { catalog, stats, fraction } = input;
  checkTablesMatch(catalog, stats, input.statsFile);
  const byName = new Map(catalog.tables.map((t) => [t.name, t]));
  const rowsOf = new Map(catalog.tables.map((t) => [t.name, Math.round(stats.tables[t.name]!.rows * fraction)]));

  // columns some foreign key points at: key columns of their table (value = key(row number))
  const referenced = new Map<string, Set<string>>();
  for (const t of catalog.tables) {
    for (const c of t.constraints) {
      if (c.type !== 'foreign key' || !c.references) continue;
      const set = referenced.get(c.references.table) ?? new Set<string>();
      c.references.columns.forEach((col) => set.add(col));
      referenced.set(c.references.table, set);
    }
  }

  const unsupported: string[] = [];
  const plans: TablePlan[] = [];
  for (const table of catalog.tables) {
    const n = rowsOf.get(table.name)!;
    const tstats = stats.tables[table.name]!;
    const roles = assignRoles(table, tstats, referenced.get(table.name) ?? new Set(), byName, rowsOf);
    const ctx = (table: CatalogTable, column: CatalogColumn, width: number | null): ValueContext => ({
      seed: String(input.seed),
      salt: salt(`${table.name}.${column.name}`),
      width,
    });

    // key(row) of any table's key column: its own value, or, when it is itself a foreign key, its parent's
    // `rows`: how many rows write the value (more than row.max + 1: values repeat, memo them)
    const keyAt = (t: CatalogTable, column: string, row: IntExpr, rows: number, depth = 0): ColumnValue => {
      const col = t.columns.find((c) => c.name === column)!;
      const group = t.constraints.find((c) => c.type === 'foreign key' && c.columns.includes(column) && c.references);
      if (group && depth < 8) {
        const parent = byName.get(group.references!.table)!;
        const i = group.columns.indexOf(column);
        const nt = rowsOf.get(t.name)!;
        const np = rowsOf.get(parent.name)!;
        if (
          nt > np &&
          depth === 0 &&
          t.constraints.some((c) => (c.type === 'primary key' || c.type === 'unique') && c.columns.length === 1 && c.columns[0] === column)
        ) {
          throw usageError(
            `${t.name}.${column} is a key and a foreign key to ${parent.name}, but ${t.name} gets ${nt.toLocaleString('en-US')} rows and ${parent.name} only ${np.toLocaleString('en-US')}`,
            "a table keyed by its parent's key (1:1) cannot have more rows than the parent: check the row counts of the statistics file",
          );
        }
        const j = nt <= np ? row : modulo(row, Math.max(1, np));
        return keyAt(parent, group.references!.columns[i]!, j, rows, depth + 1);
      }
      const c = ctx(t, col, stats.tables[t.name]?.columns?.[column]?.avgWidth ?? null);
      return {
        sql: valueSql(col.type, row.sql, c),
        js: compose(row, valueJs(col.type, c, row.max), rows),
        bin: composeBin(row, valueBin(col.type, c, row.max), rows),
      };
    };

    const columns: TablePlan['columns'] = [];
    const hasChecks = table.constraints.some((c) => c.type === 'check');
    const groupsDone = new Map<FkGroup, Map<string, ColumnValue>>();
    for (const column of table.columns) {
      const role = roles.get(column.name)!;
      if (role.role === 'default' || role.role === 'generated') continue;
      const bad = unsupportedPart(column.type);
      if (bad) {
        unsupported.push(`${table.name}.${column.name} (${bad})`);
        continue;
      }
      const cs: ColumnStats = tstats.columns?.[column.name] ?? {};
      const domain = column.type.kind === 'domain' ? column.type.sql : null;
      const saltN = salt(`${table.name}.${column.name}`);
      if (role.role === 'key') {
        if (n > domainSize(column.type)) {
          throw usageError(
            `${table.name}.${column.name} is a key but its type ${column.type.sql} holds only ${domainSize(column.type).toLocaleString('en-US')} different values, fewer than the ${n.toLocaleString('en-US')} rows to make`,
            'the constraints of this table cannot be met at this size: lower --fraction, or widen the type in the schema',
          );
        }
        columns.push({ name: column.name, ...keyAt(table, column.name, K(n), n), domain });
        continue;
      }
      if (role.role === 'fk') {
        let values = groupsDone.get(role.group);
        if (!values) {
          values = fkGroupValues(role.group, table, tstats, n, rowsOf.get(role.group.parent.name)!, input.seed, hasChecks, (parentCol, j) =>
            keyAt(role.group.parent, parentCol, j, n),
          );
          groupsDone.set(role.group, values);
        }
        columns.push({ name: column.name, ...values.get(column.name)!, domain });
        continue;
      }
      const unique = role.role === 'unique';
      const nf = column.notNull ? 0 : clamp01(cs.nullFrac ?? 0);
      const nn = n - Math.floor(n * nf);
      const cap = domainSize(column.type);
      if (unique && nn > cap) {
        throw usageError(
          `${table.name}.${column.name} is unique but its type ${column.type.sql} holds only ${cap.toLocaleString('en-US')} different values, fewer than the ${nn.toLocaleString('en-US')} rows to make`,
          'the constraints of this table cannot be met at this size: lower --fraction, or widen the type in the schema',
        );
      }
      const d = unique ? nn : Math.max(1, Math.min(resolveDistinct(cs.nDistinct, n), nn, cap));
      const place = placeExpr(n, cs.correlation ?? null, saltN, input.seed);
      const idx = redrawn(indexExpr(place, nf, nn, d, cs.correlation ?? null), hasChecks && !unique, d, saltN);
      const c = ctx(table, column, cs.avgWidth ?? null);
      const value = {
        sql: valueSql(column.type, idx.sql, c),
        js: compose(idx, valueJs(column.type, c, idx.max), n),
        bin: composeBin(idx, valueBin(column.type, c, idx.max), n),
      };
      columns.push({ name: column.name, ...orNull(value, place, nf), domain });
    }
    plans.push({
      table,
      rows: n,
      statsRows: tstats.rows,
      columns,
      checks: table.constraints
        .filter((c) => c.type === 'check')
        .map((c) => ({
          name: c.name,
          expression: c.definition
            .replace(/^CHECK\s*/, '')
            .replace(/\s+NOT VALID$/, '')
            .replace(/\s+NO INHERIT$/, ''),
        })),
      overridingSystemValue: table.columns.some((c) => c.identity === 'always' && columns.some((w) => w.name === c.name)),
      sequences: table.columns
        .filter((c) => c.sequence && columns.some((w) => w.name === c.name) && c.type.kind === 'int')
        .map((c) => ({ column: c.name, sequence: c.sequence! })),
    });
  }
  if (unsupported.length) {
    throw usageError(
      `cannot generate values of ${unsupported.length === 1 ? 'this column' : 'these columns'}: ${unsupported.join(', ')}`,
      'give the column a DEFAULT in the schema (synthesis then leaves it to the default), or rehearse with a dump',
    );
  }
  return plans;
}

/** Every table of the schema has statistics, and every table of the statistics is in the schema. */
export function checkTablesMatch(catalog: SynthCatalog, stats: StatsFile, statsFile: string): void {
  const partitioned = catalog.tables.filter((t) => t.kind !== 'table').map((t) => t.name);
  if (partitioned.length) {
    throw usageError(
      `synthesis does not fill partitioned tables yet: ${partitioned.join(', ')}`,
      'rehearse this schema with a dump (--dump), or leave the partitioning out of the schema file',
    );
  }
  const inSchema = new Set(catalog.tables.map((t) => t.name));
  const inStats = new Set(Object.keys(stats.tables));
  const missingStats = [...inSchema].filter((t) => !inStats.has(t));
  const missingSchema = [...inStats].filter((t) => !inSchema.has(t));
  if (missingSchema.length) {
    throw usageError(
      `${statsFile} has statistics for ${list(missingSchema)}, not in the schema`,
      'take the statistics and the schema from the same database (rehearse stats + pg_dump --schema-only), or remove those tables from the statistics file',
    );
  }
  if (missingStats.length) {
    throw usageError(
      `${statsFile} has no statistics for ${list(missingStats)} of the schema`,
      `add them to the statistics file (at least { "rows": N }; "rows": 0 makes the table empty)`,
    );
  }
}

const list = (names: string[]) => (names.length === 1 ? `table ${names[0]}` : `tables ${names.join(', ')}`);

function assignRoles(
  table: CatalogTable,
  tstats: TableStats,
  referenced: Set<string>,
  byName: Map<string, CatalogTable>,
  rowsOf: Map<string, number>,
): Map<string, ColumnRole> {
  const roles = new Map<string, ColumnRole>();
  const n = rowsOf.get(table.name)!;
  const groups: FkGroup[] = table.constraints
    .filter((c) => c.type === 'foreign key' && c.references && byName.has(c.references.table))
    .map((c) => ({ constraint: c.name, columns: c.columns, parent: byName.get(c.references!.table)!, parentColumns: c.references!.columns, radix: null }));
  const groupOf = (col: string) => groups.find((g) => g.columns.includes(col));

  const pk = table.constraints.find((c) => c.type === 'primary key');
  const keys = new Set<string>(referenced);
  if (pk && pk.columns.length === 1) keys.add(pk.columns[0]!);

  for (const column of table.columns) {
    if (column.generated) roles.set(column.name, { role: 'generated' });
    else if (keys.has(column.name)) roles.set(column.name, { role: 'key' });
    else if (groupOf(column.name)) roles.set(column.name, { role: 'fk', group: groupOf(column.name)! });
    else if (useDefault(column, tstats.columns?.[column.name])) roles.set(column.name, { role: 'default' });
    else roles.set(column.name, { role: 'free' });
  }

  // primary key, unique constraints and unique indexes (partial ones too: stricter than needed)
  const uniqueSets = [
    ...table.constraints
      .filter((c) => c.type === 'primary key' || c.type === 'unique' || c.type === 'exclusion')
      .map((c) => ({ name: c.name, columns: c.columns })),
    ...table.indexes.filter((i) => i.unique && !i.constraint).map((i) => ({ name: i.name, columns: i.columns })),
  ];
  for (const set of uniqueSets) {
    const cols = set.columns.filter((c): c is string => c !== null);
    if (cols.some((c) => roles.get(c)?.role === 'key' || roles.get(c)?.role === 'unique')) continue;
    const free = cols.find((c) => {
      const r = roles.get(c)?.role;
      return r === 'free' || r === 'default';
    });
    if (free) {
      roles.set(free, { role: 'unique' });
      continue;
    }
    if (cols.length === 0) continue; // an index on expressions only: nothing to go by
    // only foreign keys: count through the parents' rows in mixed radix
    let divisor = 1;
    const seen = new Set<FkGroup>();
    for (const c of cols) {
      const g = groupOf(c);
      if (!g || seen.has(g)) continue;
      seen.add(g);
      const d = Math.max(1, rowsOf.get(g.parent.name)!);
      g.radix = { divisor, d };
      divisor *= d;
    }
    if (divisor < n) {
      throw usageError(
        `${table.name}: ${set.name} needs ${n.toLocaleString('en-US')} different (${cols.join(', ')}) but its parents allow only ${divisor.toLocaleString('en-US')}`,
        'the constraints of this table cannot be met at these row counts: check the statistics of the table and its parents',
      );
    }
  }
  return roles;
}

/** Left to the column's default: the statistics say it holds one value (or say nothing about it). */
function useDefault(column: CatalogColumn, cs: ColumnStats | undefined): boolean {
  if (column.default === null) return false;
  if (!cs) return true;
  return cs.nDistinct === 1 && (cs.nullFrac ?? 0) < 0.5;
}

/** The values of a foreign key's columns for one row: a parent row number j, then the parent's keys at j. */
function fkGroupValues(
  group: FkGroup,
  table: CatalogTable,
  tstats: TableStats,
  n: number,
  parentRows: number,
  seed: number,
  redraw: boolean,
  parentKey: (column: string, row: IntExpr) => ColumnValue,
): Map<string, ColumnValue> {
  const first = group.columns[0]!;
  const cs: ColumnStats = tstats.columns?.[first] ?? {};
  const notNull = group.columns.some((c) => table.columns.find((x) => x.name === c)?.notNull);
  const saltN = salt(`${table.name}.${group.constraint}`);
  const out = new Map<string, ColumnValue>();
  if (parentRows === 0) {
    // no parent row to point at: NULL if allowed (an empty parent with a NOT NULL child cannot be met)
    if (notNull && n > 0) {
      throw usageError(
        `${table.name}: ${group.constraint} needs rows in ${group.parent.name}, which gets none`,
        'give the parent table rows in the statistics file, or this one 0 rows',
      );
    }
    group.columns.forEach((c) => out.set(c, { sql: 'NULL', js: () => '\\N', bin: (_k, w) => w.null() }));
    return out;
  }
  let j: IntExpr;
  let nulls: { place: IntExpr; nf: number } | null = null;
  if (group.radix) {
    const { divisor, d } = group.radix;
    j = {
      sql: `((_k / ${divisor}::int8) % ${d})`,
      js: n - 1 <= SAFE ? (k) => Math.floor(k / divisor) % d : null,
      max: d - 1,
    };
  } else {
    const nf = notNull ? 0 : clamp01(cs.nullFrac ?? 0);
    const nn = n - Math.floor(n * nf);
    const d = Math.max(1, Math.min(resolveDistinct(cs.nDistinct, n, parentRows), nn, parentRows));
    const place = placeExpr(n, cs.correlation ?? null, saltN, seed);
    const idx = redrawn(indexExpr(place, nf, nn, d, cs.correlation ?? null), redraw, d, saltN);
    // the d parents used are spread over all of the parent's rows
    j = d === parentRows ? { ...idx, sql: `(${idx.sql})` } : scaled(idx, parentRows, d);
    if (nf > 0) nulls = { place, nf };
  }
  group.columns.forEach((c, i) => {
    const v = parentKey(group.parentColumns[i]!, j);
    out.set(c, nulls ? orNull(v, nulls.place, nulls.nf) : v);
  });
  return out;
}

/** n_distinct → a count: > 0 as is (ANALYZE expects it not to grow with the table), < 0 that fraction of the rows; absent: every row its own value (or every parent used). */
export function resolveDistinct(nDistinct: number | undefined, rows: number, fallback: number = rows): number {
  if (nDistinct === undefined || nDistinct === 0) return fallback;
  if (nDistinct < 0) return Math.round(-nDistinct * rows);
  return Math.round(nDistinct);
}

/** The row's place: `_k` for a correlated column (reversed for a negative correlation), else a permutation of it. */
function placeExpr(n: number, correlation: number | null, saltN: number, seed: number): IntExpr {
  if (n <= 1 || (correlation !== null && correlation >= 0.5)) return K(n);
  if (correlation !== null && correlation <= -0.5) return { sql: `(${n - 1} - _k)`, js: (k) => n - 1 - k, max: n - 1 };
  let a = PRIMES[saltN % PRIMES.length]!;
  for (let i = 1; n % a === 0; i++) a = PRIMES[(saltN + i) % PRIMES.length]!;
  const b = Math.abs((seed * 7919 + saltN * 104_729) % n);
  return { sql: `((_k * ${a}::int8 + ${b}) % ${n})`, js: (n - 1) * a + b <= SAFE ? (k) => (k * a + b) % n : null, max: n - 1 };
}

/** Whether the row at `place` is NULL: exactly floor(n·nf) of them, spread evenly (float8 arithmetic, the same in JS). */
function orNull(value: ColumnValue, place: IntExpr, nf: number): ColumnValue {
  if (nf <= 0) return value;
  const sql = `CASE WHEN (floor((${place.sql} + 1) * ${nf}::float8) > floor(${place.sql} * ${nf}::float8)) THEN NULL ELSE ${value.sql} END`;
  const p = place.js;
  const v = value.js;
  if (!p || !v) return { sql, js: null, bin: null };
  const isNull = (k: number) => {
    const x = p(k);
    return Math.floor((x + 1) * nf) > Math.floor(x * nf);
  };
  const withNulls = (v: (k: number) => string) => (k: number) => (isNull(k) ? '\\N' : v(k));
  const js: RowJs = withNulls(v);
  const memo = v.memo;
  if (memo) js.memo = () => withNulls(memo());
  const b = value.bin;
  if (!b) return { sql, js, bin: null };
  const binNulls = (b: (k: number, w: BinWriter) => void) => (k: number, w: BinWriter) => (isNull(k) ? w.null() : b(k, w));
  const bin: RowBin = binNulls(b);
  const memoBin = b.memo;
  if (memoBin) bin.memo = () => binNulls(memoBin());
  return { sql, js, bin };
}

function indexExpr(place: IntExpr, nf: number, nn: number, d: number, correlation: number | null): IntExpr {
  const p = place.js;
  const rank: IntExpr =
    nf > 0 ? { sql: `(${place.sql} - floor(${place.sql} * ${nf}::float8)::int8)`, js: p && ((k) => p(k) - Math.floor(p(k) * nf)), max: place.max } : place;
  if (d >= nn) return rank;
  if (correlation !== null && Math.abs(correlation) >= 0.5) return scaled(rank, d, nn);
  const r = rank.js;
  return { sql: `(${rank.sql} % ${d})`, js: r && ((k) => r(k) % d), max: d - 1 };
}

/** e · mul / div in int8 (truncating; every value here is ≥ 0). */
function scaled(e: IntExpr, mul: number, div: number): IntExpr {
  const f = e.js;
  return {
    sql: `((${e.sql}) * ${mul}::int8 / ${div})`,
    js: f && e.max * mul <= SAFE ? (k) => Math.floor((f(k) * mul) / div) : null,
    max: Math.floor((e.max * mul) / div),
  };
}

function modulo(e: IntExpr, m: number): IntExpr {
  const f = e.js;
  return { sql: `((${e.sql}) % ${m})`, js: f && ((k) => f(k) % m), max: Math.min(e.max, m - 1) };
}

/**
 * A table with CHECKs redraws: the index moves with the draw `_t`. Its JS is the first draw's
 * (`_t = 0`), the client's first try (rowsInClient).
 */
function redrawn(idx: IntExpr, redraw: boolean, d: number, saltN: number): IntExpr {
  if (!redraw || d <= 1) return idx;
  const f = idx.js;
  return { sql: `((${idx.sql}) + _t * ${1 + (saltN % Math.max(1, d - 1))} + _o) % ${d}`, js: f && ((k) => f(k) % d), max: d - 1 };
}

/** compose's binary twin: a memo keeps each value's field bytes. */
function composeBin(idx: IntExpr, value: BinValue | null, rows: number): RowBin | null {
  const f = idx.js;
  if (!f || !value) return null;
  const kept = (i: number, w: BinWriter) => {
    const start = w.pos;
    value(i, w);
    return Buffer.from(w.buf.subarray(start, w.pos));
  };
  if (idx.max === 0) {
    let one: Buffer | undefined;
    return (_k, w) => {
      if (one) w.raw(one);
      else one = kept(0, w);
    };
  }
  const bin: RowBin = (k, w) => value(f(k), w);
  if (idx.max < MEMO_VALUES && rows > idx.max + 1) {
    bin.memo = () => {
      const made = new BinMemo(idx.max + 1);
      return (k, w) => {
        const i = f(k);
        if (made.copy(i, w)) return;
        const from = w.pos;
        value(i, w);
        made.keep(i, w, from);
      };
    };
  }
  return bin;
}

/** A value of an index expression, per row: both in JS, or none. `rows` write it: more than its values, a memo keeps them. */
function compose(idx: IntExpr, value: ((i: number) => string) | null, rows: number): RowJs | null {
  const f = idx.js;
  if (!f || !value) return null;
  if (idx.max === 0) {
    // one value for every row (n_distinct 1): made once
    const v = value(0);
    return () => v;
  }
  const js: RowJs = (k) => value(f(k));
  if (idx.max < MEMO_VALUES && rows > idx.max + 1) {
    js.memo = () => {
      const made: string[] = new Array(idx.max + 1);
      return (k) => {
        const i = f(k);
        return (made[i] ??= value(i));
      };
    };
  }
  return js;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** A small stable number per name (FNV-1a), for hash salts and permutations. */
export function salt(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 1_000_000;
}

/** INSERT … SELECT for rows [from, to) of a plan. */
export function insertSql(plan: TablePlan, from: number, to: number, canCheckDomains: boolean): string {
  const series = `generate_series(${from}::int8, ${to - 1}::int8) AS _g(_k)`;
  if (plan.columns.length === 0) return `INSERT INTO ${plan.table.ident} SELECT FROM ${series}`;
  const cols = plan.columns.map((c) => pg.escapeIdentifier(c.name)).join(', ');
  const overriding = plan.overridingSystemValue ? ' OVERRIDING SYSTEM VALUE' : '';
  return `INSERT INTO ${plan.table.ident} (${cols})${overriding}\n${selectSql(plan, from, to, canCheckDomains)}`;
}

/** COPY … FROM STDIN for a plan's columns (identity columns take the values, like OVERRIDING SYSTEM VALUE). */
export function copyInSql(plan: TablePlan, freeze: boolean, binary = false): string {
  const options = [...(freeze ? ['FREEZE'] : []), ...(binary ? ['FORMAT binary'] : [])];
  return `COPY ${plan.table.ident} (${plan.columns.map((c) => pg.escapeIdentifier(c.name)).join(', ')}) FROM STDIN${options.length ? ` WITH (${options.join(', ')})` : ''}`;
}

/** The SELECT making rows [from, to) of a plan: its columns in order (needs at least one column). */
export function selectSql(plan: TablePlan, from: number, to: number, canCheckDomains: boolean): string {
  const series = `generate_series(${from}::int8, ${to - 1}::int8) AS _g(_k)`;
  const domainChecks = canCheckDomains
    ? plan.columns
        .filter((c) => c.domain)
        .map((c) => `(${pg.escapeIdentifier(c.name)} IS NULL OR pg_input_is_valid(${pg.escapeIdentifier(c.name)}::text, ${literalOf(c.domain!)}))`)
    : [];
  const filters = [...plan.checks.map((c) => `(${c.expression}) IS NOT FALSE`), ...domainChecks];
  const cast = (c: TablePlan['columns'][number]) => (c.domain ? `(_v.${pg.escapeIdentifier(c.name)})::${c.domain}` : `_v.${pg.escapeIdentifier(c.name)}`);
  if (filters.length === 0) {
    return `SELECT ${plan.columns.map((c) => (c.domain ? `(${c.sql})::${c.domain}` : c.sql)).join(',\n       ')}\nFROM ${series}`;
  }
  const draws = `(VALUES ${(plan.checks.length ? DRAW_OFFSETS : DRAW_OFFSETS.slice(0, 1)).map((o, t) => `(${t}, ${o})`).join(', ')}) AS _a(_t, _o)`;
  return (
    `SELECT ${plan.columns.map(cast).join(', ')}\nFROM ${series}\n` +
    `CROSS JOIN LATERAL (SELECT * FROM (SELECT ${plan.columns.map((c) => `${c.sql} AS ${pg.escapeIdentifier(c.name)}`).join(',\n       ')}\n  FROM ${draws}) AS _x\n` +
    `  WHERE ${filters.join(' AND ')} LIMIT 1) AS _v`
  );
}

const literalOf = (s: string) => `'${s.replace(/'/g, "''")}'`;
