import type { MigrationFormat } from '../../../migrations/index.ts';

/** Small helpers the rules share to name things and write SQL. */

/** An identifier as PostgreSQL prints it: bare when it can be, else double-quoted. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
const RESERVED = new Set(['user', 'order', 'group', 'table', 'select', 'where', 'check', 'default', 'primary', 'references', 'column', 'constraint']);

/** A RangeVar of the parse tree → schema.name text (schema only when written). */
export function relationOf(rv: any): { text: string; name: string } | null {
  if (!rv?.relname) return null;
  return { text: (rv.schemaname ? `${ident(rv.schemaname)}.` : '') + ident(rv.relname), name: rv.relname };
}

/** Column names a node tree refers to (ColumnRef fields), in order of appearance. */
export function columnRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) columnRefs(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, any>;
    if (o.ColumnRef) {
      const fields = (o.ColumnRef.fields ?? []) as any[];
      const last = fields[fields.length - 1]?.String?.sval;
      if (typeof last === 'string') out.push(last);
    }
    for (const v of Object.values(o)) if (v && typeof v === 'object') columnRefs(v, out);
  }
  return out;
}

/** PostgreSQL's own name for an unnamed constraint (ChooseConstraintName): table_col_suffix, 63 bytes. */
export function defaultConstraintName(table: string, columns: string[], suffix: 'check' | 'fkey'): string {
  const cols = suffix === 'fkey' ? columns.join('_') : (columns[0] ?? '');
  return truncate([table, cols, suffix].filter(Boolean).join('_'));
}

export const truncate = (name: string) =>
  Buffer.byteLength(name) <= 63
    ? name
    : Buffer.from(name)
        .subarray(0, 63)
        .toString('utf8')
        .replace(/\uFFFD$/, '');

/** 12,000 (no locale) */
export const int = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
export const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/**
 * Migration tools that run a file in one transaction, so a statement PostgreSQL refuses in a
 * transaction block (CREATE INDEX CONCURRENTLY) or one that must commit on its own needs a
 * migration of its own — and a tool-specific switch.
 */
export function ownMigrationNote(format: MigrationFormat | null): string {
  switch (format) {
    case 'prisma':
      return ' Prisma sends migration.sql as one script (one implicit transaction when it holds several statements): put the statement alone in a migration folder of its own (--suggest writes it so).';
    case 'drizzle':
      return " Drizzle's migrator runs the pending migrations in one transaction: run this statement outside it (its own script or step before `drizzle-kit migrate`).";
    case 'node-pg-migrate':
      return ' node-pg-migrate wraps each migration in a transaction: give the statement its own migration and call pgm.noTransaction() there.';
    case 'flyway':
      return ' Flyway runs a migration in a transaction: give the statement its own migration (Flyway runs it outside a transaction when all its statements must be, or set executeInTransaction=false in its script config; --suggest writes that .conf).';
    case 'dbmate':
      return ' dbmate wraps each migration in a transaction: give the statement its own migration with `-- migrate:up transaction:false` (--suggest writes it so).';
    case 'goose':
      return ' goose runs each migration in a transaction: give the statement its own migration with `-- +goose NO TRANSACTION` (--suggest writes it so).';
    case 'sqlx':
      return ' sqlx runs each migration in a transaction: give the statement its own migration starting with `-- no-transaction` (--suggest writes it so).';
    case 'golang-migrate':
      return ' golang-migrate sends a file as one multi-statement script (one implicit transaction): give the statement a migration of its own (--suggest writes it so).';
    default:
      return ' Give it a migration of its own if your tool wraps each file in a transaction.';
  }
}

/** Wrap statements in an explicit transaction of their own (the replay and psql run it as written). */
export const ownTransaction = (statements: string[]): string => ['BEGIN;', ...statements.map((s) => `${s.replace(/;\s*$/, '')};`), 'COMMIT;'].join('\n');
