import { minimumReaderMajor } from '../../load/index.ts';
import type { Check } from '../types.ts';
import type { DumpFacts } from './dump.ts';

/**
 * The PostgreSQL major a run would start, against the dump: pg_dump's output targets its own major
 * and later, and a rehearsal on another major than production's measures another server.
 */
export function checkServerMajor(target: number | null, targetSource: string, dump: DumpFacts | null): Check {
  if (target === null) return { name: 'postgres', status: 'skip', message: `the server's major is the existing server's (${targetSource})` };
  const base = `PostgreSQL ${target} (${targetSource})`;
  if (!dump) return { name: 'postgres', status: 'ok', message: base };
  const writer = dump.pgDumpVersion ? Number(dump.pgDumpVersion.split('.')[0]) : dump.archiveVersion ? minimumReaderMajor(dump.archiveVersion) : undefined;
  const source = dump.sourceVersion ? Number(dump.sourceVersion.split('.')[0]) : undefined;
  if (writer !== undefined && writer > target) {
    return {
      name: 'postgres',
      status: 'warn',
      message: `${base}, but the dump was written by pg_dump ${writer}${dump.pgDumpVersion ? '' : ' or later'}, whose output may use what ${target} lacks (e.g. SET transaction_timeout)`,
      fix: `rehearse on the dump's major or later: --postgres ${writer}`,
    };
  }
  if (source !== undefined && source !== target) {
    return {
      name: 'postgres',
      status: 'warn',
      message: `${base}, but the dump comes from PostgreSQL ${dump.sourceVersion}: timings and locks are those of another major`,
      fix: `rehearse on production's major: --postgres ${source}`,
    };
  }
  return { name: 'postgres', status: 'ok', message: `${base}${source !== undefined ? `, as the dump's source (${dump.sourceVersion})` : ''}` };
}
