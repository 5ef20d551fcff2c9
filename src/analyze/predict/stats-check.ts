import { usageError } from '../../core/errors.ts';
import type { StatsFile } from '../../stats/index.ts';
import { tableKey } from './classify.ts';

/**
 * The statistics file against the rehearsal database's tables: a file none of whose tables exist
 * there is the wrong file (usage error, exit 2); some missing is allowed (a dump without them, a
 * table dropped since) and returned so the report says so.
 */
export function checkStatsTables(stats: StatsFile, file: string, tables: { name: string }[]): string[] {
  const have = new Set(tables.map((t) => tableKey(t.name)));
  const named = Object.keys(stats.tables).map(tableKey);
  const missing = named.filter((n) => !have.has(n));
  if (named.length > 0 && missing.length === named.length) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length} in all)` : '');
    throw usageError(
      `${file}: none of its tables is in the rehearsal database (${shown})`,
      `name tables as schema.table, as the rehearsal database has them${have.size ? ` (e.g. ${[...have].slice(0, 3).join(', ')})` : ''}`,
    );
  }
  return missing;
}
