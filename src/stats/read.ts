import fs from 'node:fs/promises';
import { usageError } from '../core/errors.ts';
import { StatsFileSchema, qualifiedTableName, type StatsFile } from './schema.ts';
import type { TrafficStatement } from './traffic-schema.ts';

/**
 * Read and validate a statistics file. Bad input is a usage error (exit 2) naming the file and,
 * for a shape error, the first offending key. Table names come back qualified (`public.orders`).
 */
export async function readStatsFile(file: string): Promise<StatsFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw usageError(
      `cannot read the statistics file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      'make it with `rehearse stats --database-url URL --out prod-stats.json`, or write { "tables": { "public.orders": { "rows": 1000000 } } }',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw usageError(`${file} is not JSON: ${(err as Error).message}`, 'a statistics file is the JSON `rehearse stats` writes (docs/stats.md)');
  }
  const parsed = StatsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw usageError(
      `${file}: not a statistics file: ${where}: ${issue.message}`,
      'see docs/stats.md for the shape; the smallest is { "tables": { "public.orders": { "rows": 1000000 } } }',
    );
  }
  const tables: StatsFile['tables'] = {};
  for (const [name, t] of Object.entries(parsed.data.tables)) tables[qualifiedTableName(name)] = t;
  return { ...parsed.data, tables };
}

/**
 * The statements of a statistics file's `traffic` section, or a usage error (exit 2) naming the
 * file and how to record them: a file written without a window (or with --no-statements, or where
 * pg_stat_statements could not be read) has none.
 */
export function requireStatements(stats: StatsFile, file: string): TrafficStatement[] {
  const statements = stats.traffic?.statements;
  if (statements?.length) return statements;
  const why = stats.traffic?.statementsUnavailable ? ` (${stats.traffic.statementsUnavailable})` : '';
  throw usageError(
    `${file} holds no statements${why}: a workload is derived from the traffic section`,
    'record it with `rehearse stats --window 60s --database-url URL --out prod-stats.json` (pg_stat_statements on, a role with pg_read_all_stats)',
  );
}
