/**
 * Where a statement is: its migration, its 0-based index in the migration, and the file and 1-based
 * line it starts at. The reports, budgets, comparisons and attribution all point at statements this way.
 */
export interface StatementLocation {
  migrationId: string;
  statementIndex: number;
  file: string;
  line: number;
}

/** A location that may be partial: a run-wide figure has no migration, a migration-wide one no statement. */
export type Nullable<T> = { [K in keyof T]: T[K] | null };
