import pg from 'pg';
import type { CatalogTable } from './types.ts';

/**
 * Indexes and keys built after the rows, as pg_restore does: once over the loaded table instead
 * of row by row. The restored schema's foreign keys, primary keys, unique and exclusion
 * constraints and indexes are dropped before the rows and made again from their own definitions
 * (pg_get_constraintdef / pg_get_indexdef) after; CHECK and NOT NULL stay (every row meets them).
 */
export interface Deferred {
  /** run in order, in one transaction, before the rows */
  drop: string[];
  /** run after the rows; per table, parallel between tables */
  build: { table: string; sql: string; label: string }[];
  /** run last: each validates over the rows; `references`, the parent table (qualified) */
  foreignKeys: { table: string; references: string | null; sql: string; label: string }[];
}

export function deferredObjects(tables: CatalogTable[]): Deferred {
  const drop: string[] = [];
  const build: Deferred['build'] = [];
  const foreignKeys: Deferred['foreignKeys'] = [];
  const schemaOf = (t: CatalogTable) => t.ident.slice(0, t.ident.indexOf('.'));
  for (const t of tables) {
    for (const c of t.constraints.filter((c) => c.type === 'foreign key')) {
      drop.push(`ALTER TABLE ${t.ident} DROP CONSTRAINT ${pg.escapeIdentifier(c.name)}`);
      foreignKeys.push({
        table: t.name,
        references: c.references?.table ?? null,
        sql: `ALTER TABLE ${t.ident} ADD CONSTRAINT ${pg.escapeIdentifier(c.name)} ${c.definition}`,
        label: `${t.name} ${c.name}`,
      });
    }
  }
  for (const t of tables) {
    for (const c of t.constraints.filter((c) => c.type === 'primary key' || c.type === 'unique' || c.type === 'exclusion')) {
      drop.push(`ALTER TABLE ${t.ident} DROP CONSTRAINT ${pg.escapeIdentifier(c.name)}`);
      build.push({ table: t.name, sql: `ALTER TABLE ${t.ident} ADD CONSTRAINT ${pg.escapeIdentifier(c.name)} ${c.definition}`, label: `${t.name} ${c.name}` });
    }
    for (const i of t.indexes.filter((i) => !i.constraint)) {
      drop.push(`DROP INDEX ${schemaOf(t)}.${pg.escapeIdentifier(i.name)}`);
      build.push({ table: t.name, sql: i.definition, label: `${t.name} ${i.name}` });
    }
  }
  return { drop, build, foreignKeys };
}
