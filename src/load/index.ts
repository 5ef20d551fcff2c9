import os from 'node:os';
import type { Logger } from '../core/log.ts';
import type { ContainerAccess } from '../provision/index.ts';
import { restoreInContainer } from './container-restore.ts';
import { inspectDump } from './detect.ts';
import { DEFAULT_SEED, generateFixture, readFixture, validateScale } from './fixture.ts';
import { restoreArchive, restorePlain } from './restore.ts';
import { settle, summarizeTables } from './summary.ts';
import { synthesize } from './synthesize/index.ts';
import type { DatasetSummary, LoadSpec } from './types.ts';

export type { DatasetSummary, DumpFormat, LoadSpec, SynthesizedSource, TableSize } from './types.ts';
export { synthesize, type SynthesisResult } from './synthesize/index.ts';
export { detectDumpFormat } from './detect.ts';
export { checkLoadInputs } from './check.ts';
export { summarizeTables } from './summary.ts';
export { knownFixtures, DEFAULT_SEED, fixturesDir } from './fixture.ts';

/**
 * Fill the rehearsal database: restore a dump (format read from its content) or generate a bundled
 * fixture server-side, then VACUUM ANALYZE and CHECKPOINT, and summarise the tables.
 * `loadMs` is the wall time of all of it (restore/generation + VACUUM ANALYZE + CHECKPOINT);
 * `phaseMs` splits it.
 */
export interface LoadOptions {
  /** the container provider's tools: a dump is restored with the container's own pg_restore/psql
   *  (they match the server's version) instead of this machine's */
  container?: ContainerAccess | undefined;
}

export async function loadDataset(url: string, spec: LoadSpec, log: Logger, options: LoadOptions = {}): Promise<DatasetSummary> {
  const started = performance.now();
  let source: DatasetSummary['source'];
  let synthesis: { schema: number; rows: number; foreignKeys: number } | undefined;
  let analyzed: string[] = [];
  switch (spec.kind) {
    case 'none':
      return { source: { kind: 'none' }, loadMs: 0, tables: await summarizeTables(url) };
    case 'dump': {
      const dump = await inspectDump(spec.path);
      if (options.container)
        await restoreInContainer({ url, container: options.container }, dump.path, dump.format, log, spec.jobs !== undefined ? { jobs: spec.jobs } : {});
      else if (dump.format === 'plain' || dump.format === 'plain-gzip') await restorePlain(dump, url, log);
      else await restoreArchive(dump, url, spec.jobs ?? os.availableParallelism(), log);
      source = { kind: 'dump', path: spec.path, format: dump.format };
      break;
    }
    case 'fixture': {
      const seed = spec.seed ?? DEFAULT_SEED;
      validateScale(spec.scale, seed);
      const fixture = await readFixture(spec.name);
      await generateFixture(url, fixture, spec.scale, seed, log);
      source = { kind: 'fixture', name: spec.name, scale: spec.scale, seed };
      break;
    }
    case 'synthesize': {
      const made = await synthesize(url, spec, log);
      source = { kind: 'synthesized', schema: spec.schema, stats: spec.stats, fraction: spec.fraction, seed: spec.seed, tables: made.tables };
      synthesis = { schema: made.phaseMs.schema, rows: made.phaseMs.rows, foreignKeys: made.phaseMs.constraints };
      analyzed = made.analyzed;
      break;
    }
  }
  const load = performance.now() - started;
  const jobs = spec.kind === 'dump' || spec.kind === 'synthesize' ? (spec.jobs ?? os.availableParallelism()) : os.availableParallelism();
  const { vacuumAnalyze, checkpoint } = await settle(url, log, jobs, analyzed);
  const loadMs = Math.round(performance.now() - started);
  const tables = await summarizeTables(url);
  return {
    source,
    loadMs,
    phaseMs: { load: Math.round(load), vacuumAnalyze: Math.round(vacuumAnalyze), checkpoint: Math.round(checkpoint), ...synthesis },
    tables,
  };
}
export { pgRestoreStderr, psqlProblem, QUOTED_LINES, quote } from './restore-output.ts';
export { restoreInContainer, type ContainerRestoreOptions, type ContainerTarget } from './container-restore.ts';
export type { ArchiveVersion } from './archive-version.ts';
export type { ClientTool } from './client-tools.ts';
export type { ClientToolName } from './client-tools.ts';
export type { DumpInfo } from './detect.ts';
export { INSTALL_CLIENT_HINT } from './client-tools.ts';
export { clientTool } from './client-tools.ts';
export { dumpHead } from './detect.ts';
export { formatArchiveVersion } from './archive-version.ts';
export { inspectDump } from './detect.ts';
export { likelyWriter } from './archive-version.ts';
export { minimumReaderMajor } from './archive-version.ts';
export { newestReadableBy } from './archive-version.ts';
