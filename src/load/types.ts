export type DumpFormat = 'custom' | 'directory' | 'tar' | 'plain' | 'plain-gzip';

export interface TableSize {
  /** schema-qualified when not in public, e.g. 'orders' or 'audit.events' */
  name: string;
  /** exact count(*), or the planner's estimate after ANALYZE for very large tables (see rowsEstimated) */
  rows: number;
  /** true when `rows` is pg_class.reltuples after ANALYZE (tables above ~5 million rows), not count(*) */
  rowsEstimated: boolean;
  /** total relation size incl. indexes and TOAST */
  bytes: number;
}

export interface DatasetSummary {
  source:
    | { kind: 'dump'; path: string; format: DumpFormat }
    | { kind: 'fixture'; name: string; scale: number; seed: number }
    | SynthesizedSource
    | { kind: 'none' };
  /**
   * Wall time of the whole load: restore or generation, then VACUUM ANALYZE and CHECKPOINT
   * (0 for kind 'none'). `phaseMs` splits it.
   */
  loadMs: number;
  /** loadMs by phase; absent for kind 'none'. For --synthesize, load split further: schema, rows (with keys and indexes), foreign keys */
  phaseMs?: { load: number; vacuumAnalyze: number; checkpoint: number; schema?: number; rows?: number; foreignKeys?: number };
  tables: TableSize[];
}

/** --synthesize: rows made from a statistics file for the tables of a schema file */
export interface SynthesizedSource {
  kind: 'synthesized';
  /** the schema file (pg_dump --schema-only) */
  schema: string;
  /** the statistics file (rehearse stats) */
  stats: string;
  fraction: number;
  seed: number;
  /** per table (qualified name): the rows the statistics give and the rows made */
  tables: { name: string; statsRows: number; rows: number }[];
}

export type LoadSpec =
  | { kind: 'dump'; path: string /** pg_restore -j (default: os.availableParallelism(); tar: 1) */; jobs?: number }
  | { kind: 'fixture'; name: string; scale: number; seed?: number }
  | { kind: 'synthesize'; schema: string; stats: string; fraction: number; seed: number /** connections at once (default: cores) */; jobs?: number }
  | { kind: 'none' };
