import type { Migration } from '../migrations/index.ts';
import { replay } from '../replay/index.ts';
import type { MigrationTrace } from '../replay/index.ts';
import { diffSchemas, introspect, isEmptyDiff, type SchemaModel } from '../schema/index.ts';
import type { Logger } from '../core/log.ts';
import { dataLossOf } from './data-loss.ts';
import type { DataLossWarning, RollbackResult } from './types.ts';

/**
 * Apply the down migrations of what was applied, newest first, each traced like the ups; before
 * each, count what its drops would destroy; then compare with the schema before the ups.
 */
export async function rehearseRollback(
  url: string,
  applied: Migration[],
  before: SchemaModel,
  log: Logger,
  /** called right before each down statement (traffic phases) */
  onStatementStart?: (migrationId: string, statementIndex: number) => void,
): Promise<RollbackResult> {
  const traces: MigrationTrace[] = [];
  const dataLoss: DataLossWarning[] = [];
  let failed = false;
  for (const migration of [...applied].reverse()) {
    if (failed) {
      traces.push({
        id: migration.id,
        name: migration.name,
        file: migration.down?.file ?? '',
        status: 'skipped',
        startedAt: null,
        durationMs: 0,
        statements: [],
      });
      continue;
    }
    dataLoss.push(...(await dataLossOf(url, migration)));
    const { migrations, ok } = await replay({ url, migrations: [migration], direction: 'down', log, ...(onStatementStart ? { onStatementStart } : {}) });
    traces.push(...migrations);
    if (!ok || !migration.down) failed = true;
  }
  const after = await introspect(url);
  const diff = diffSchemas(before, after);
  return { migrations: traces, diff, restored: !failed && isEmptyDiff(diff, { ignoreColumnOrder: true }), dataLoss };
}
