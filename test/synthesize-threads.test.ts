import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../src/load/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { fingerprint } from './helpers/fingerprint.ts';

/**
 * The analytics fixture (fixtures/analytics: uuid keys, jsonb, 28 keys and indexes, 8 foreign
 * keys) at 1 % of its statistics: rows made by worker threads (every fill, however small) are the
 * rows made in the main thread, table by table; every key, index and foreign key is there again.
 */
const schema = path.resolve('fixtures/analytics/schema.sql');
const stats = path.resolve('fixtures/analytics/stats.json');

describe('--synthesize rows made in worker threads', () => {
  it('are the rows the main thread makes, and the keys, indexes and foreign keys are all rebuilt', async () => {
    const threads = await freshDatabase('synthreads');
    const main = await freshDatabase('synmain');
    const spec = { schema, stats, fraction: 0.01, seed: 42, jobs: 3 };
    const made = await synthesize(threads, { ...spec, workerRows: 1 }, silentLogger);
    await synthesize(main, { ...spec, workerRows: Number.MAX_SAFE_INTEGER }, silentLogger);
    expect(made.tables.find((t) => t.name === 'public.events')?.rows).toBe(6_000);
    expect(await fingerprint(threads)).toEqual(await fingerprint(main));
    // every fill, build and foreign key was timed, each once
    expect(made.steps.filter((s) => s.kind === 'fill')).toHaveLength(6);
    expect(made.steps.filter((s) => s.kind === 'build')).toHaveLength(28);
    expect(made.steps.filter((s) => s.kind === 'fk')).toHaveLength(8);
    // each table ANALYZEd between its rows and its builds (no expression index here): statistics are there already
    expect(made.steps.filter((s) => s.kind === 'analyze')).toHaveLength(6);
    expect(made.analyzed).toEqual(['public.accounts', 'public.event_definitions', 'public.events', 'public.projects', 'public.sessions', 'public.users']);
    const analyzeOf = (t: string) => made.steps.find((s) => s.kind === 'analyze' && s.label === t)!;
    for (const b of made.steps.filter((s) => s.kind === 'build' && s.label.startsWith('public.events '))) {
      expect(b.startMs).toBeGreaterThanOrEqual(analyzeOf('public.events').startMs + analyzeOf('public.events').ms - 1);
    }
    const [colStats] = await sql<{ n: number }>(threads, `SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = 'public' AND tablename = 'events'`);
    expect(colStats!.n).toBe(10);
    const [objects] = await sql<{ indexes: number; fks: number }>(
      threads,
      `SELECT (SELECT count(*)::int FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public') AS indexes,
              (SELECT count(*)::int FROM pg_constraint WHERE contype = 'f' AND convalidated) AS fks`,
    );
    expect(objects).toEqual({ indexes: 28, fks: 8 });
  });
});
