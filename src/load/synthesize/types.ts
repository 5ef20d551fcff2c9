/**
 * Synthesis: a restored schema + a statistics file → rows of the same shape.
 * What the catalog says about the schema (SynthCatalog), what each column will be (the plan), and
 * what was made (SynthesisResult, which the report's dataset carries).
 */

/** A type as far as generation cares; resolved from pg_type. */
export type TypeInfo =
  | { kind: 'int'; bytes: 2 | 4 | 8; sql: string }
  | { kind: 'numeric'; precision: number | null; scale: number; sql: string }
  | { kind: 'float'; sql: string }
  | { kind: 'money'; sql: string }
  | { kind: 'bool'; sql: string }
  | { kind: 'text'; maxLength: number | null; fixed: boolean; sql: string }
  | { kind: 'char1'; sql: string }
  | { kind: 'date'; sql: string }
  | { kind: 'timestamp'; sql: string }
  | { kind: 'time'; sql: string }
  | { kind: 'interval'; sql: string }
  | { kind: 'uuid'; sql: string }
  | { kind: 'json'; sql: string }
  | { kind: 'bytea'; sql: string }
  | { kind: 'enum'; labels: string[]; sql: string }
  | { kind: 'inet'; sql: string }
  | { kind: 'macaddr'; hexDigits: 12 | 16; sql: string }
  | { kind: 'bit'; length: number | null; sql: string }
  | { kind: 'geometric'; shape: 'point' | 'lseg' | 'box' | 'circle' | 'line' | 'path' | 'polygon'; sql: string }
  | { kind: 'tsvector'; sql: string }
  | { kind: 'tsquery'; sql: string }
  | { kind: 'xml'; sql: string }
  | { kind: 'pg_lsn'; sql: string }
  | { kind: 'oid'; sql: string }
  | { kind: 'array'; element: TypeInfo; sql: string }
  | { kind: 'range'; subtype: TypeInfo; sql: string }
  | { kind: 'multirange'; range: TypeInfo; sql: string }
  | { kind: 'composite'; fields: { name: string; type: TypeInfo }[]; sql: string }
  | { kind: 'domain'; base: TypeInfo; hasChecks: boolean; sql: string }
  | { kind: 'unsupported'; sql: string };

export interface CatalogColumn {
  name: string;
  type: TypeInfo;
  notNull: boolean;
  /** pg_get_expr of the default (not for identity or generated columns) */
  default: string | null;
  identity: 'always' | 'by default' | null;
  generated: boolean;
  /** the sequence that feeds it (serial, identity), qualified; moved past the rows afterwards */
  sequence: string | null;
}

export interface CatalogConstraint {
  name: string;
  type: 'primary key' | 'unique' | 'foreign key' | 'check' | 'exclusion';
  columns: string[];
  /** foreign key: qualified referenced table and its columns, in the order of `columns` */
  references: { table: string; columns: string[] } | null;
  /** pg_get_constraintdef */
  definition: string;
}

export interface CatalogIndex {
  name: string;
  unique: boolean;
  /** key columns; null for an expression */
  columns: (string | null)[];
  predicate: string | null;
  /** pg_get_indexdef */
  definition: string;
  /** the index of a primary key, unique or exclusion constraint (made with the constraint) */
  constraint: boolean;
}

export interface CatalogTable {
  /** qualified, `public.orders` */
  name: string;
  /** quoted for SQL, `public.orders` / `"My"."Table"` */
  ident: string;
  kind: 'table' | 'partitioned table' | 'partition';
  columns: CatalogColumn[];
  constraints: CatalogConstraint[];
  indexes: CatalogIndex[];
}

export interface SynthCatalog {
  versionNum: number;
  tables: CatalogTable[];
}

export interface SynthesisSpec {
  /** the schema: plain SQL (pg_dump --schema-only) or a schema-only archive */
  schema: string;
  /** the statistics file */
  stats: string;
  /** rows = statistics × fraction (default 1) */
  fraction: number;
  seed: number;
  /** connections filling tables and building indexes at once (default: cores) */
  jobs?: number;
  /** how rows travel from the generating connection to the loading one (default text: progress counts rows; binary measured no faster, docs/synthesis.md) */
  copyFormat?: 'text' | 'binary';
  /** where rows are made: in this process straight into COPY (default, for every table whose types
   *  values-js.ts makes and that has no CHECK or domain to redraw), or by a second backend (server) */
  generator?: 'client' | 'server';
  /** a table of at least twice this many rows is filled in `jobs` chunks side by side (default 5,000,000) */
  chunkRows?: number;
  /** a fill of at least this many rows has them made by a worker thread, a smaller one in the main thread (default 50,000) */
  workerRows?: number;
  /** rows made in the client go in COPY's binary format where every column of the table has a binary writer (default true; false: always text) */
  clientBinary?: boolean;
}

export interface SynthesizedTable {
  /** qualified, `public.orders` */
  name: string;
  /** rows the statistics give for the table */
  statsRows: number;
  /** rows made: statsRows × fraction, rounded */
  rows: number;
}

export interface SynthesisResult {
  tables: SynthesizedTable[];
  /** wall time per step, ms: schema restore; rows + keys and indexes (pipelined: a table's builds
   *  run beside the next table's rows); foreign keys and sequences after the last build */
  phaseMs: { schema: number; rows: number; constraints: number };
  /** each fill, ANALYZE, build and foreign key: when it started (ms after the rows began) and how long it took */
  steps: { kind: 'fill' | 'analyze' | 'build' | 'fk'; label: string; startMs: number; ms: number }[];
  /** tables ANALYZEd between their rows and their indexes (`schema.name`): the load's VACUUM need not analyze them again */
  analyzed: string[];
}
