import { z } from 'zod';
import { TrafficSectionSchema } from './traffic-schema.ts';

/**
 * The production-statistics file (`rehearse stats --out prod-stats.json`, or written by hand).
 * Catalog figures only: no row values unless `includesValues` is true (then the per-column
 * `mostCommonVals` / `histogramBounds` may be present). Shared by synthesis (load) and
 * predictions (analyze). Documented in docs/stats.md, JSON Schema in docs/stats.schema.json.
 *
 * The smallest valid file is hand-written: `{ "tables": { "public.orders": { "rows": 200000000 } } }`.
 */
export const STATS_KIND = 'pg-rehearse-stats';
export const STATS_VERSION = 1;

export const ColumnStatsSchema = z
  .object({
    /** pg_stats.null_frac: fraction of rows that are NULL (0..1) */
    nullFrac: z.number().min(0).max(1).optional(),
    /** pg_stats.n_distinct: > 0 a count, < 0 minus the fraction of rows (-1 = unique) */
    nDistinct: z.number().optional(),
    /** pg_stats.avg_width in bytes */
    avgWidth: z.number().nonnegative().optional(),
    /** pg_stats.correlation (-1..1) */
    correlation: z.number().min(-1).max(1).nullable().optional(),
    /** only with --include-values: data */
    mostCommonVals: z.array(z.string().nullable()).optional(),
    mostCommonFreqs: z.array(z.number()).optional(),
    histogramBounds: z.array(z.string().nullable()).optional(),
  })
  .strict();

export const IndexStatsSchema = z
  .object({
    bytes: z.number().nonnegative().optional(),
    columns: z.array(z.string()).optional(),
    unique: z.boolean().optional(),
  })
  .strict();

export const TableStatsSchema = z
  .object({
    /** the row count to use: reltuples (n_live_tup where the table was never analysed) */
    rows: z.number().nonnegative(),
    relpages: z.number().nonnegative().optional(),
    totalBytes: z.number().nonnegative().optional(),
    heapBytes: z.number().nonnegative().optional(),
    indexBytes: z.number().nonnegative().optional(),
    toastBytes: z.number().nonnegative().optional(),
    liveTuples: z.number().nonnegative().optional(),
    deadTuples: z.number().nonnegative().optional(),
    /** by index name (unqualified: indexes live in their table's schema) */
    indexes: z.record(z.string(), IndexStatsSchema).optional(),
    /** by column name */
    columns: z.record(z.string(), ColumnStatsSchema).optional(),
    /** every column's type by name, as format_type writes it (`integer`, `character varying(80)`, `uuid`) */
    columnTypes: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const StatsFileSchema = z
  .object({
    kind: z.literal(STATS_KIND).optional(),
    version: z.literal(STATS_VERSION).optional(),
    takenAt: z.string().optional(),
    /** true only when the file holds row values (--include-values) */
    includesValues: z.boolean().optional(),
    server: z
      .object({
        version: z.string().optional(),
        major: z.number().int().optional(),
        /** settings that change a migration's speed and its regime: shared_buffers, max_wal_size, maintenance_work_mem, ... */
        settings: z
          .record(z.string(), z.string())
          .optional()
          .describe(
            "as current_setting() prints them (128MB, 5min, on): shared_buffers, effective_cache_size, max_wal_size, checkpoint_timeout, checkpoint_completion_target, full_page_writes, wal_compression, maintenance_work_mem, work_mem, max_parallel_maintenance_workers, min_parallel_table_scan_size; predictions judge production's regimes by them (docs/predictions.md)",
          ),
      })
      .strict()
      .optional(),
    /** by qualified name, `schema.table` (an unqualified name means `public.`) */
    tables: z.record(z.string(), TableStatsSchema),
    /** what the applications send (`rehearse stats --window`, `rehearse capture`): docs/stats.md */
    traffic: TrafficSectionSchema.optional(),
  })
  .strict();

export type ColumnStats = z.infer<typeof ColumnStatsSchema>;
export type IndexStats = z.infer<typeof IndexStatsSchema>;
export type TableStats = z.infer<typeof TableStatsSchema>;
export type StatsFile = z.infer<typeof StatsFileSchema>;

/** `orders` → `public.orders`; `"My Table"` stays as written otherwise. */
export const qualifiedTableName = (name: string): string => (name.includes('.') ? name : `public.${name}`);
