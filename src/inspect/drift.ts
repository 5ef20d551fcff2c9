import type { MigrationSet } from '../migrations/index.ts';
import { replay } from '../replay/index.ts';
import { diffSchemas, introspect, isEmptyDiff, type SchemaDiff, type SchemaModel } from '../schema/index.ts';
import { infraError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { createScratchDatabase, scratchDatabaseName } from '../provision/index.ts';
import type { DriftResult } from './types.ts';

/**
 * Production drift: apply every migration of the folder to an empty database and compare with the
 * rehearsed database. What the rehearsed database has beyond the history (a hand-made index, a
 * hotfix column) shows as added; what the history makes but production lacks, as removed.
 */
export async function checkDrift(serverUrl: string, set: MigrationSet, rehearsed: SchemaModel, log: Logger): Promise<DriftResult> {
  const step = log.progress('drift check: all migrations on an empty database');
  const scratch = await createScratchDatabase(serverUrl, scratchDatabaseName('drift'));
  try {
    const all = set.migrations.map((m) => ({ ...m, pending: true }));
    const result = await replay({ url: scratch.url, migrations: all, log: silentLogger });
    if (!result.ok) {
      const failed = result.migrations.find((m) => m.status === 'failed');
      const err = failed?.statements.find((s) => s.error)?.error;
      throw infraError(
        `drift check: the migrations do not apply to an empty database (${failed?.id}: ${err?.file}:${err?.line}: ${err?.message})`,
        'the history does not build the schema from scratch (it starts from a baseline?); run without --check-drift',
      );
    }
    const fromHistory = await introspect(scratch.url);
    const ignored = trackingTableKeys(set, rehearsed);
    const diff = withoutObjects(diffSchemas(fromHistory, rehearsed), ignored);
    step.done();
    return { diff, drifted: !isEmptyDiff(diff, { ignoreColumnOrder: true }), ignored };
  } finally {
    await scratch.drop();
  }
}

/** The migration tool's own table (and what hangs on it) is in production but made by no migration. */
function trackingTableKeys(set: MigrationSet, model: SchemaModel): string[] {
  if (!set.trackingTable) return [];
  const table = `table:${set.trackingTable.includes('.') ? set.trackingTable : `public.${set.trackingTable}`}`;
  const belongs = (key: string): boolean => {
    const o = model.objects[key];
    if (!o) return false;
    if (key === table || o.parent === table || ('table' in o && o.table === table)) return true;
    return o.parent !== null && o.parent !== key && belongs(o.parent);
  };
  return Object.keys(model.objects).filter(belongs);
}

export function withoutObjects(diff: SchemaDiff, keys: string[]): SchemaDiff {
  if (keys.length === 0) return diff;
  const skip = new Set(keys);
  return {
    added: diff.added.filter((o) => !skip.has(o.object)),
    removed: diff.removed.filter((o) => !skip.has(o.object)),
    changed: diff.changed.filter((c) => !skip.has(c.object)),
    columnOrderOnly: diff.columnOrderOnly.filter((c) => !skip.has(c.table)),
  };
}
