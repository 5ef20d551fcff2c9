import { BATCH_TARGET_MS, batchedUpdate, roundBatch } from './full-table-update.ts';
import { ident, int, ms, ownTransaction, relationOf, truncate } from '../sql.ts';
import { type AnalyzedStatement, type Finding, type FindingContext, type Rule, findingLocation, waitSeverity } from '../types.ts';

/**
 * table-rewrite: any statement that rewrote a relation which existed before its transaction (its
 * relfilenode changed) and held rows: PostgreSQL copied every row and rebuilt every index under the
 * statement's lock (AccessExclusiveLock for ALTER TABLE, VACUUM FULL, CLUSTER): nothing reads or
 * writes the table until its transaction ends. The measurement says that it rewrote; the statement
 * says why, and the safe pattern depends on the cause (REWRITE_CAUSES). A cause the rule does not
 * know (a future PostgreSQL's) gets the generic advice. TRUNCATE is not a rewrite (the replay
 * records it apart). Mechanical: a volatile default (add the column, set the default, backfill in
 * batches; a NOT NULL proven by a validated check).
 */
export const tableRewrite: Rule = {
  id: 'table-rewrite',
  check(ctx) {
    const out: Finding[] = [];
    for (const st of ctx.statements) {
      const { m, s } = st;
      if (s.error) continue;
      const rewritten = s.rewrites.filter((r) => !ctx.createdHere(st, r.relation));
      if (rewritten.length === 0) continue;
      const cause = causeOf(st);
      const table = cause.table ?? rewritten.find((r) => r.relkind === 'r' || r.relkind === 'm')?.relation ?? rewritten[0]!.relation;
      if (ctx.createdHere(st, table)) continue;
      const n = ctx.rows(table, st);
      if (n === 0) continue; // an empty table's copy is nothing
      const lock = s.strongestLocks.find((l) => l.relation.replace(/^public\./, '') === table.replace(/^public\./, '')) ?? s.strongestLocks[0];
      const mode = lock?.mode ?? 'AccessExclusiveLock';
      const advice = ADVICE[cause.cause](cause, table, ctx);
      const suggestedSql = cause.cause === 'volatile-default' ? volatileDefault(st, cause, table, n) : null;
      out.push({
        rule: 'table-rewrite',
        severity: waitSeverity(ctx, st, table),
        ...findingLocation(m, s),
        title: `${cause.what} rewrote ${table}${n === null ? '' : ` (${int(n)} rows)`}${rewritten.length > 1 ? ` and ${rewritten.length - 1} other relation(s)` : ''} under ${mode} for ${ms(s.lockHeldMs)}`,
        evidence: {
          table,
          cause: cause.cause,
          ...(cause.column ? { column: cause.column } : {}),
          ...(n === null ? {} : { rows: n }),
          rewritten: rewritten.length,
          lockMode: mode,
          lockHeldMs: s.lockHeldMs,
          durationMs: s.durationMs,
        },
        advice,
        suggestedSql: suggestedSql ?? SQL[cause.cause]?.(cause, table) ?? null,
        mechanical: suggestedSql !== null,
      });
    }
    return out;
  },
};

/** What made PostgreSQL rewrite the table (docs/findings.md lists them). */
export const REWRITE_CAUSES = [
  'alter-column-type',
  'stored-generated-column',
  'volatile-default',
  'set-logged',
  'set-unlogged',
  'set-access-method',
  'set-tablespace',
  'vacuum-full',
  'cluster',
  'reindex',
  'refresh-materialized-view',
  'unknown',
] as const;
export type RewriteCause = (typeof REWRITE_CAUSES)[number];

interface Cause {
  cause: RewriteCause;
  /** the statement in a few words, for the title */
  what: string;
  /** the relation the statement names (schema-qualified when written), null when it names none */
  table: string | null;
  column?: string;
  /** the column's type as written (ADD COLUMN / ALTER COLUMN TYPE) */
  type?: string;
  /** the default or generation expression as written */
  expr?: string;
  /** ADD COLUMN: NOT NULL written with it */
  notNull?: boolean;
  /** ADD COLUMN: only DEFAULT (and NOT NULL) beside the type, the statement's only subcommand: --suggest can rewrite it */
  plain?: boolean;
}

function causeOf({ s, ast }: AnalyzedStatement): Cause {
  const sql = s.sql;
  const alter = ast?.AlterTableStmt;
  if (alter) {
    const table = relationOf(alter.relation)?.text ?? null;
    const cmds: any[] = (alter.cmds ?? []).map((c: any) => c.AlterTableCmd);
    for (const c of cmds) {
      switch (c?.subtype) {
        case 'AT_AlterColumnType':
          return { cause: 'alter-column-type', what: `ALTER COLUMN ${c.name} TYPE`, table, column: c.name, type: typeText(c.def?.ColumnDef) };
        case 'AT_SetLogged':
          return { cause: 'set-logged', what: 'SET LOGGED', table };
        case 'AT_SetUnLogged':
          return { cause: 'set-unlogged', what: 'SET UNLOGGED', table };
        case 'AT_SetAccessMethod':
          return { cause: 'set-access-method', what: `SET ACCESS METHOD ${c.name ?? 'DEFAULT'}`, table };
        case 'AT_SetTableSpace':
          return { cause: 'set-tablespace', what: `SET TABLESPACE ${c.name}`, table };
      }
      const col = c?.subtype === 'AT_AddColumn' ? c.def?.ColumnDef : null;
      if (!col) continue;
      const cons: any[] = (col.constraints ?? []).map((k: any) => k.Constraint).filter(Boolean);
      const generated = cons.find((k) => k.contype === 'CONSTR_GENERATED');
      if (generated && generated.generated_kind !== 'v') {
        return {
          cause: 'stored-generated-column',
          what: `ADD COLUMN ${col.colname} GENERATED … STORED`,
          table,
          column: col.colname,
          type: typeText(col, sql),
          expr: parenthesized(sql, generated.location),
        };
      }
      const identity = cons.find((k) => k.contype === 'CONSTR_IDENTITY');
      const serial = /^(small|big)?serial[248]?$/.test(col.typeName?.names?.at(-1)?.String?.sval ?? '');
      const def = cons.find((k) => k.contype === 'CONSTR_DEFAULT');
      if (identity || serial || def) {
        const notNull = cons.some((k) => k.contype === 'CONSTR_NOTNULL');
        const others = cons.filter((k) => !['CONSTR_DEFAULT', 'CONSTR_NOTNULL'].includes(k.contype));
        return {
          cause: 'volatile-default',
          what: `ADD COLUMN ${col.colname} ${identity ? 'GENERATED … AS IDENTITY' : serial ? '(serial)' : 'DEFAULT (volatile)'}`,
          table,
          column: col.colname,
          type: typeText(col, sql),
          ...(def ? { expr: defaultText(sql, def.location, cons) } : {}),
          notNull,
          plain: !identity && !serial && others.length === 0 && cmds.length === 1 && !col.collClause,
        };
      }
    }
    return { cause: 'unknown', what: 'ALTER TABLE', table };
  }
  const vacuum = ast?.VacuumStmt;
  if (vacuum) {
    const rel = relationOf(vacuum.rels?.[0]?.VacuumRelation?.relation);
    return { cause: 'vacuum-full', what: 'VACUUM FULL', table: rel?.text ?? null };
  }
  if (ast?.ClusterStmt) return { cause: 'cluster', what: 'CLUSTER', table: relationOf(ast.ClusterStmt.relation)?.text ?? null };
  if (ast?.ReindexStmt) return { cause: 'reindex', what: 'REINDEX', table: null };
  if (ast?.RefreshMatViewStmt)
    return { cause: 'refresh-materialized-view', what: 'REFRESH MATERIALIZED VIEW', table: relationOf(ast.RefreshMatViewStmt.relation)?.text ?? null };
  return { cause: 'unknown', what: firstWords(sql), table: null };
}

const firstWords = (sql: string) => sql.replace(/\s+/g, ' ').trim().split(' ').slice(0, 3).join(' ');

/** Bytes of the statement between two offsets (the parse tree's locations are byte offsets). */
const slice = (sql: string, from: number, to?: number) => Buffer.from(sql, 'utf8').subarray(from, to).toString('utf8');

/** The column's type as written: from the type name to its first constraint (or the end). */
function typeText(col: any, sql?: string): string {
  const names: string[] = (col?.typeName?.names ?? []).map((x: any) => x.String?.sval).filter((x: string) => x && x !== 'pg_catalog');
  if (sql === undefined || col?.typeName?.location === undefined) return names.join('.') || 'the new type';
  const next = (col.constraints ?? []).map((k: any) => k.Constraint?.location).filter((x: unknown) => typeof x === 'number');
  const end = next.length ? Math.min(...next) : undefined;
  return slice(sql, col.typeName.location, end).replace(/;\s*$/, '').trim();
}

/** The text inside the first balanced parentheses at or after `from` (a generation expression). */
function parenthesized(sql: string, from: number): string {
  const text = slice(sql, from);
  const open = text.indexOf('(');
  if (open < 0) return '';
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return text.slice(open + 1, i).trim();
  }
  return '';
}

/** A DEFAULT's expression as written: from after the keyword to the next constraint of the column (or the end). */
function defaultText(sql: string, at: number, cons: any[]): string {
  const next = cons.map((k) => k.location).filter((x) => typeof x === 'number' && x > at);
  const text = slice(sql, at, next.length ? Math.min(...next) : undefined);
  return text
    .replace(/^\s*DEFAULT\s+/i, '')
    .replace(/;\s*$/, '')
    .trim();
}

type Advice = (c: Cause, table: string, ctx: FindingContext) => string;

const ADVICE: Record<RewriteCause, Advice> = {
  'alter-column-type': (c) =>
    `Expand/contract instead of a rewrite: add ${c.column}_new ${c.type}, keep it in step with a trigger, backfill it in batches, move the app to it, then (after the old app is gone) drop ${c.column} and rename ${c.column}_new — each step holds its AccessExclusiveLock only briefly.`,
  'stored-generated-column': (c, _t, ctx) =>
    `A STORED generated column is computed for every existing row while the table is locked. ${(ctx.report.postgres?.major ?? 0) >= 18 ? 'On this PostgreSQL (18+) a VIRTUAL generated column adds no storage and no rewrite (it is computed when read; it cannot be indexed). ' : 'PostgreSQL 18+ has VIRTUAL generated columns (computed when read, no rewrite). '}Else add ${c.column} as a plain column, fill it with a BEFORE INSERT OR UPDATE trigger computing (${c.expr}), backfill the existing rows in batches, each committed on its own.`,
  'volatile-default': (c) =>
    `A volatile default (${c.expr ?? 'a sequence, an identity'}) is evaluated for every existing row while the table is locked (a non-volatile default is not: PostgreSQL 11+ stores it once). Add the column without a default, set the default at once (rows written from then on get it), backfill the existing rows in batches, each committed on its own${c.notNull ? ', then prove NOT NULL with a CHECK … NOT VALID, VALIDATE, SET NOT NULL' : ''}.`,
  'set-logged': () =>
    `SET LOGGED copies the whole table into the WAL under an AccessExclusiveLock. Create tables LOGGED from the start; for an existing one, schedule the window (its duration is measured here) or build a logged copy online (a trigger plus a batched copy, then swap the names).`,
  'set-unlogged': () =>
    `SET UNLOGGED rewrites the table under an AccessExclusiveLock (and an unlogged table is emptied after a crash and not replicated). Schedule the window, or leave it logged.`,
  'set-access-method': () =>
    `SET ACCESS METHOD copies every row into the new access method under an AccessExclusiveLock. Schedule the window, or build a copy in the new access method online (a trigger plus a batched copy, then swap the names).`,
  'set-tablespace': () =>
    `SET TABLESPACE copies the table's files under an AccessExclusiveLock. Schedule the window, or move it online with pg_repack --tablespace.`,
  'vacuum-full': () =>
    `VACUUM FULL writes a compacted copy of the table under an AccessExclusiveLock. A plain VACUUM makes the dead space reusable without a lock on reads or writes; to give the space back online use pg_repack (brief locks at the start and the end), or schedule the window.`,
  cluster: () =>
    `CLUSTER writes a sorted copy of the table under an AccessExclusiveLock. Reorder online with pg_repack --order-by (brief locks at the start and the end), or schedule the window.`,
  reindex: () =>
    `REINDEX rebuilt the index while writes to its table waited. REINDEX … CONCURRENTLY (PostgreSQL 12+) rebuilds it while reads and writes go on (outside a transaction block).`,
  'refresh-materialized-view': () =>
    `REFRESH MATERIALIZED VIEW replaces its contents under an AccessExclusiveLock: reads of it wait. REFRESH MATERIALIZED VIEW CONCURRENTLY (with a unique index on it) lets reads go on.`,
  unknown: () =>
    `The statement rewrote the table (its relfilenode changed): every row copied, every index rebuilt, under its lock. Find a form of the change that does not rewrite (a new column filled in batches, then a swap), or schedule the window measured here.`,
};

const SQL: Partial<Record<RewriteCause, (c: Cause, table: string) => string>> = {
  'alter-column-type': (c, t) =>
    [
      `ALTER TABLE ${t} ADD COLUMN ${c.column}_new ${c.type};`,
      `-- a trigger copying ${c.column} into ${c.column}_new on INSERT/UPDATE, then a batched backfill:`,
      `-- UPDATE ${t} SET ${c.column}_new = ${c.column} WHERE ${c.column}_new IS NULL AND <batch>;`,
      `-- after the app reads ${c.column}_new and the old app is gone:`,
      `-- ALTER TABLE ${t} DROP COLUMN ${c.column}; ALTER TABLE ${t} RENAME COLUMN ${c.column}_new TO ${c.column};`,
    ].join('\n'),
  'stored-generated-column': (c, t) => {
    const col = ident(c.column!);
    const fn = ident(truncate(`${t.replace(/\W/g, '_')}_${c.column}_fill`));
    return [
      `-- PostgreSQL 18+: ALTER TABLE ${t} ADD COLUMN ${col} ${c.type} GENERATED ALWAYS AS (${c.expr}) VIRTUAL;`,
      `-- else a plain column kept by a trigger, and a batched backfill:`,
      `ALTER TABLE ${t} ADD COLUMN ${col} ${c.type};`,
      `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fill$ BEGIN NEW.${col} := (SELECT ${c.expr} FROM (SELECT NEW.*) AS r); RETURN NEW; END $fill$;`,
      `CREATE TRIGGER ${fn} BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fn}();`,
      `-- UPDATE ${t} SET ${col} = (${c.expr}) WHERE ${col} IS DISTINCT FROM (${c.expr}) AND <batch>; -- each batch committed`,
    ].join('\n');
  },
  'vacuum-full': (_c, t) => `VACUUM ${t}; -- space reusable, no rewrite; or pg_repack --table ${t} to give it back online`,
  reindex: () => `-- REINDEX … CONCURRENTLY, outside a transaction block`,
};

/**
 * ADD COLUMN … DEFAULT <volatile>: add the column bare and set its default in one short transaction
 * (rows written from then on get the default), backfill the existing rows in batches committed on
 * their own (the rows per batch from the rewrite's own measured rate), then NOT NULL proven by a
 * validated check when it was written. Null when the statement does more than that.
 */
function volatileDefault(st: AnalyzedStatement, c: Cause, table: string, rows: number | null): string | null {
  if (!c.plain || !c.expr || !c.column || !c.type) return null;
  const { s } = st;
  const col = ident(c.column);
  const n = rows ?? s.rowsAffected ?? 0;
  const perSecond = s.durationMs > 0 && n > 0 ? (n * 1000) / s.durationMs : Math.max(n, 1000);
  const batch = roundBatch((perSecond * BATCH_TARGET_MS) / 1000);
  const update = `UPDATE ${table} SET ${col} = ${c.expr} WHERE ${col} IS NULL`;
  const steps = [
    ownTransaction([`ALTER TABLE ${table} ADD COLUMN ${col} ${c.type}`, `ALTER TABLE ${table} ALTER COLUMN ${col} SET DEFAULT ${c.expr}`]),
    batchedUpdate(update, Buffer.byteLength(update.slice(0, update.lastIndexOf(' WHERE ') + 1)), table, batch, n, perSecond, update),
  ];
  if (c.notNull) {
    const check = ident(truncate(`${table.replace(/\W/g, '_')}_${c.column}_not_null_check`));
    steps.push(
      ownTransaction([`ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${col} IS NOT NULL) NOT VALID`]),
      ownTransaction([`ALTER TABLE ${table} VALIDATE CONSTRAINT ${check}`]),
      ownTransaction([`ALTER TABLE ${table} ALTER COLUMN ${col} SET NOT NULL`, `ALTER TABLE ${table} DROP CONSTRAINT ${check}`]),
    );
  }
  return steps.map((x) => x.replace(/;\s*$/, '')).join(';\n');
}
