import { parse } from 'libpg-query';
import { usageError } from '../core/errors.ts';
import type { Workload } from './types.ts';

/**
 * Every statement of a workload through PostgreSQL's own parser, before any server starts: a
 * query with a syntax error is a mistake in the workload file (exit 2), not an application that
 * breaks at some schema state. Names the query (file, app, query) and the parser's message.
 */
export async function checkWorkloadSyntax(workload: Workload): Promise<void> {
  const statements = [
    ...workload.apps.flatMap((a) => a.queries.flatMap((q) => q.steps.map((s) => ({ where: q.source || `${a.name}/${q.name}`, sql: s.sql })))),
    ...workload.background.flatMap((b) => b.steps.map((s) => ({ where: `background ${b.name}`, sql: s.sql }))),
  ];
  for (const { where, sql } of statements) {
    try {
      await parse(sql);
    } catch (err) {
      const message = (err as Error).message;
      throw usageError(`${where}: ${message}: ${sql.length > 80 ? sql.slice(0, 77) + '...' : sql}`, `fix the query in ${workload.file}`);
    }
  }
}
