import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../src/load/index.ts';
import { planSynthesis, readSynthCatalog } from '../src/load/synthesize/index.ts';
import { rowsInClient } from '../src/load/synthesize/plan.ts';
import type { TypeInfo } from '../src/load/synthesize/types.ts';
import { uniformJs, valueJs } from '../src/load/synthesize/values-js.ts';
import { uniform, valueSql } from '../src/load/synthesize/values.ts';
import { readStatsFile } from '../src/stats/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { fingerprint } from './helpers/fingerprint.ts';

/**
 * Rows made in the client (values-js.ts, straight into COPY) must be exactly the rows the server
 * makes from the plan's SQL: both generators on the same schema and statistics, table by table,
 * row by row.
 */
const dir = path.resolve('test/fixtures-synth');
const schema = path.join(dir, 'client-types.sql');
const stats = path.join(dir, 'client-types.stats.json');

describe('--synthesize rows made in the client', () => {
  it("PostgreSQL's hashint8extended, ported: the same uniform numbers as the server's", async () => {
    const url = await freshDatabase('synclienthash');
    for (const ctx of [
      { seed: '42', salt: 123_457 },
      { seed: '0', salt: 0 },
      { seed: '7', salt: 999_999 },
      { seed: '-5', salt: 77 },
    ]) {
      const rows = await sql<{ i: string; u: number }>(
        url,
        `SELECT i::text AS i, ${uniform('i', ctx)} AS u FROM unnest(ARRAY[0, 1, 2, 63, 64, 1000, 99999, 4294967295, 4294967296, 35184372088831]::int8[]) i`,
      );
      const u = uniformJs(ctx);
      for (const r of rows) expect(u(Number(r.i)), `seed ${ctx.seed} salt ${ctx.salt} idx ${r.i}`).toBe(r.u);
    }
  });

  it('values far from the first rows (day and year boundaries, big indexes) read back as the server makes them', async () => {
    const db = await freshDatabase('synclientfar');
    // the generating session's time zone (index.ts)
    const url = `${db}${db.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c TimeZone=UTC')}`;
    const ctx = { seed: '42', salt: 4242, width: null };
    const cases: [TypeInfo, number][] = [
      [{ kind: 'timestamp', sql: 'timestamp without time zone' }, 249_999_999_999],
      [{ kind: 'timestamp', sql: 'timestamp with time zone' }, 249_999_999_999],
      [{ kind: 'date', sql: 'date' }, 2_899_999],
      [{ kind: 'time', sql: 'time without time zone' }, 86_399_999],
      [{ kind: 'interval', sql: 'interval' }, 8_999_999_999],
      [{ kind: 'numeric', precision: null, scale: 0, sql: 'numeric' }, 249_999_999_999],
      [{ kind: 'inet', sql: 'inet' }, 2 ** 32 - 1 - 2 ** 24],
      [{ kind: 'money', sql: 'money' }, 249_999_999_999],
      [{ kind: 'bit', length: 8, sql: 'bit(8)' }, 249_999_999_999],
      [{ kind: 'bit', length: 80, sql: 'bit(80)' }, 249_999_999_999],
      [{ kind: 'bit', length: null, sql: 'bit varying' }, 249_999_999_999],
      [{ kind: 'range', subtype: { kind: 'timestamp', sql: 'timestamp with time zone' }, sql: 'tstzrange' }, 124_999_999_999],
    ];
    const indexes = [
      0, 59, 60, 3599, 3600, 86_399, 86_400, 1_000_000, 2_000_000, 31_622_399, 31_622_400, 86_399_999, 123_456_789, 4_000_000_000, 249_999_999_999,
    ];
    for (const [type, max] of cases) {
      const js = valueJs(type, ctx, max)!;
      const at = indexes.filter((x) => x <= max);
      const differ = await sql<{ i: string; v: string }>(
        url,
        `SELECT i::text, v FROM unnest($1::int8[], $2::text[]) AS u(i, v) WHERE (${valueSql(type, 'i', ctx)}) IS DISTINCT FROM v::${type.sql}`,
        [at, at.map((i) => js(i))],
      );
      expect(differ, type.sql).toEqual([]);
    }
  });

  it('every type it makes, NULLs, keys, foreign keys, a composite key, CHECKs and domains: the same rows as the server makes', async () => {
    const server = await freshDatabase('synclient_server');
    const client = await freshDatabase('synclient_client');
    await synthesize(server, { schema, stats, fraction: 1, seed: 42, generator: 'server' }, silentLogger);
    const said: string[] = [];
    const done: string[] = [];
    await synthesize(
      client,
      { schema, stats, fraction: 1, seed: 42 },
      { info: (m) => said.push(m), warn: (m) => said.push(m), progress: () => ({ update: () => {}, done: (d) => done.push(d ?? '') }) },
    );
    // every table of this schema is one the client makes (tables with CHECKs and domains: a first try)
    const plans = planSynthesis({ catalog: await readSynthCatalog(client), stats: await readStatsFile(stats), statsFile: stats, fraction: 1, seed: 42 });
    expect(plans.filter((p) => rowsInClient(p) === null).map((p) => p.table.name)).toEqual([]);
    // checked_ok's first draw meets its CHECKs and domains and is kept; checked_redraw's breaks n % 3 <> 0
    expect(said.filter((m) => /first draw/.test(m))).toEqual([
      'public.checked_redraw: a row of the first draw breaks checked_redraw_n_check; made by the server, with redraws',
    ]);
    expect(done).toContainEqual(expect.stringMatching(/ rows, \d+ keys and indexes; made by the server: public\.checked_redraw$/));
    // every table's rows (count and md5 over the sorted row texts) equal
    const made = await fingerprint(client);
    expect(Object.keys(made).sort()).toEqual(['checked_ok', 'checked_redraw', 'kids', 'more', 'pairs', 'parents', 'shapes']);
    expect(made).toEqual(await fingerprint(server));
    expect(made.kids!.rows).toBe(5000);
    // a few values as the server made them, to see the families are all there
    const [row] = await sql<Record<string, unknown>>(
      client,
      `SELECT count(*) FILTER (WHERE i4 IS NULL)::int AS i4_nulls, count(DISTINCT m)::int AS moods, count(DISTINCT u)::int AS uuids,
              min(length(wide))::int AS wide, count(DISTINCT parent_id)::int AS parents, count(*) FILTER (WHERE jb IS NULL)::int AS jb_nulls
         FROM kids`,
    );
    expect(row).toEqual({ i4_nulls: 500, moods: 4, uuids: 5000, wide: 296, parents: 300, jb_nulls: 1500 });
  });
});
