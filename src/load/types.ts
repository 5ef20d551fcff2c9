export type DumpFormat = 'custom' | 'directory' | 'tar' | 'plain' | 'plain-gzip';

export interface TableSize {
  /** schema-qualified when not in public, e.g. 'orders' or 'audit.events' */
  name: string;
  rows: number;
  /** total relation size incl. indexes and TOAST */
  bytes: number;
}

export interface DatasetSummary {
  source: { kind: 'dump'; path: string; format: DumpFormat } | { kind: 'fixture'; name: string; scale: number; seed: number } | { kind: 'none' };
  loadMs: number;
  tables: TableSize[];
}

export type LoadSpec =
  | { kind: 'dump'; path: string; jobs?: number }
  | { kind: 'fixture'; name: string; scale: number; seed?: number }
  | { kind: 'none' };
