import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../src/load/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';

const dir = path.resolve('test/fixtures-synth');

describe('--synthesize on a schema of every type family', () => {
  it('fills every table: enum, domains, arrays, ranges, composite key, self-reference, CHECKs, partial unique index', async () => {
    const url = await freshDatabase('syntypes');
    const result = await synthesize(
      url,
      { schema: path.join(dir, 'all-types.sql'), stats: path.join(dir, 'all-types.stats.json'), fraction: 1, seed: 42 },
      silentLogger,
    );
    expect(result.tables).toEqual([
      { name: 'app.categories', statsRows: 200, rows: 200 },
      { name: 'public.everything', statsRows: 3000, rows: 3000 },
      { name: 'public.everything_tags', statsRows: 6000, rows: 6000 },
      { name: 'public.tags', statsRows: 50, rows: 50 },
    ]);
    const [row] = await sql<Record<string, string | number>>(
      url,
      `SELECT (SELECT count(*) FROM everything)::int AS rows,
              (SELECT count(*) FILTER (WHERE i4 IS NULL)::float8 / count(*) FROM everything) AS i4_nulls,
              (SELECT count(DISTINCT i4) FROM everything)::int AS i4_distinct,
              (SELECT count(DISTINCT category_id) FROM everything)::int AS categories_used,
              (SELECT count(DISTINCT status) FROM everything)::int AS statuses,
              (SELECT min(status) FROM everything) AS status,
              (SELECT count(DISTINCT mo) FROM everything)::int AS moods,
              (SELECT min(qty) || '-' || max(qty) FROM everything) AS qty,
              (SELECT count(*) FROM everything WHERE i4 = 13)::int AS thirteen,
              (SELECT count(*) FROM app.categories WHERE parent_id = id)::int AS own_parent,
              (SELECT count(*) FILTER (WHERE parent_id IS NULL) FROM app.categories)::int AS roots,
              (SELECT round(avg(length(t))) FROM everything)::int AS t_length,
              (SELECT count(*) FROM pg_constraint WHERE contype = 'f')::int AS fks,
              (SELECT count(*) FROM pg_indexes WHERE indexname IN ('everything_live_t', 'everything_ts'))::int AS indexes,
              (SELECT count(*) FROM everything WHERE generated_total IS DISTINCT FROM n2 * 2)::int AS wrong_generated`,
    );
    expect(row).toEqual({
      rows: 3000,
      i4_nulls: 0.3,
      i4_distinct: 1499, // n_distinct -0.5 of 3000 rows, less the one value CHECK (i4 <> 13) redraws
      categories_used: 150,
      statuses: 1,
      status: 'new',
      moods: 3,
      qty: '1-50',
      thirteen: 0,
      own_parent: 0,
      roots: 20,
      t_length: 59,
      fks: 4,
      indexes: 2,
      wrong_generated: 0,
    });
    // the identity and serial sequences were moved past the rows
    await sql(url, `INSERT INTO everything (category_id, mo, qty) VALUES (1, 'ok', 3); INSERT INTO app.categories (name, code) VALUES ('x', 'y')`);
  });
});
