import type { MigrationTrace } from '../replay/index.ts';
import type { SchemaDiff } from '../schema/index.ts';

/** A down migration that throws away data: it drops a column or table that holds values. */
export interface DataLossWarning {
  migrationId: string;
  statementIndex: number;
  file: string;
  line: number;
  /** 'orders.total_cents' (column) or 'orders' (table) */
  object: string;
  objectKind: 'column' | 'table';
  /** non-null values of the column, or rows of the table, when the down ran (a count, never values) */
  valuesLost: number;
  message: string;
}

export interface RollbackResult {
  /** the down migrations, traced like the ups, in the order they ran (reverse of the ups) */
  migrations: MigrationTrace[];
  /** starting schema → schema after the downs: empty (column order aside) when restored */
  diff: SchemaDiff;
  restored: boolean;
  dataLoss: DataLossWarning[];
}

export interface DriftResult {
  /** migration history (all migrations on an empty database) → the rehearsed database */
  diff: SchemaDiff;
  drifted: boolean;
  /** objects left out of the comparison: the migration tool's tracking table */
  ignored: string[];
}

export interface ExpectedSchemaResult {
  file: string;
  /** expected → final schema */
  diff: SchemaDiff;
  matches: boolean;
}
