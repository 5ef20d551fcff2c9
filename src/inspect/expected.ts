import { loadDataset } from '../load/index.ts';
import { diffSchemas, introspect, isEmptyDiff, type SchemaModel } from '../schema/index.ts';
import { silentLogger } from '../core/log.ts';
import { createScratchDatabase, scratchDatabaseName } from '../provision/index.ts';
import type { ExpectedSchemaResult } from './types.ts';

/** Load the expected schema (a SQL file) into a scratch database and compare the final schema with it. */
export async function compareWithExpected(serverUrl: string, file: string, final: SchemaModel): Promise<ExpectedSchemaResult> {
  const scratch = await createScratchDatabase(serverUrl, scratchDatabaseName('expected'));
  try {
    await loadDataset(scratch.url, { kind: 'dump', path: file }, silentLogger);
    const expected = await introspect(scratch.url);
    const diff = diffSchemas(expected, final);
    return { file, diff, matches: isEmptyDiff(diff, { ignoreColumnOrder: true }) };
  } finally {
    await scratch.drop();
  }
}
