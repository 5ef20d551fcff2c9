import type { Report } from '../model/types.ts';

/** Kinds of relation an application reads and writes: tables, partitioned tables, matviews, foreign tables. */
export const TABLE_KINDS = new Set(['r', 'p', 'm', 'f']);

const norm = (name: string) => name.replace(/"/g, '').replace(/^public\./, '');

/**
 * Rows of a table before the migrations ran (the dataset summary), by the name a lock or rewrite
 * gives (regclass text). Null for a table the dataset does not list (created by a migration).
 */
export function tableRows(report: Report): (relation: string) => number | null {
  const rows = new Map<string, number>();
  for (const t of report.dataset?.tables ?? []) rows.set(norm(t.name), t.rows);
  return (relation) => rows.get(norm(relation)) ?? null;
}
