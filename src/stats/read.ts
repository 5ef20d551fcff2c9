import fs from 'node:fs/promises';
import { usageError } from '../core/errors.ts';
import { StatsFileSchema, qualifiedTableName, type StatsFile } from './schema.ts';

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
