import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../src/load/index.ts';
import { planSynthesis, readSynthCatalog } from '../src/load/synthesize/index.ts';
import { Md5Of } from '../src/load/synthesize/md5.ts';
import { rowsInClientBinary } from '../src/load/synthesize/plan.ts';
import type { TypeInfo } from '../src/load/synthesize/types.ts';
import { BinWriter, COPY_BINARY_HEADER, COPY_BINARY_TRAILER, valueBin } from '../src/load/synthesize/values-bin.ts';
import { valueJs } from '../src/load/synthesize/values-js.ts';
import { readStatsFile } from '../src/stats/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { fingerprint } from './helpers/fingerprint.ts';

/**
 * Rows made in the client in COPY's binary format (values-bin.ts) are the rows of the COPY text
 * (values-js.ts) and of the server's SQL: a table of every type with a binary writer — NULLs,
 * repeated values (kept in the memo), a one-value column, a foreign key — made three ways.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-synbin-'));
const schema = path.join(work, 'schema.sql');
const stats = path.join(work, 'stats.json');
fs.writeFileSync(
  schema,
  `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'élan');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE owners (id uuid PRIMARY KEY, name varchar(30) NOT NULL);
CREATE TABLE every_kind (
  id bigint PRIMARY KEY, owner uuid REFERENCES owners, i2 smallint, i4 integer, i8 bigint, b boolean,
  u uuid, ts timestamp, tstz timestamptz, ts3 timestamp(3) with time zone, dt date,
  t text, vc varchar(40), fixed char(7), nm name, j json, jb jsonb, m mood, p positive, ip inet, cn cidr, one integer
);`,
);
fs.writeFileSync(
  stats,
  JSON.stringify({
    tables: {
      'public.owners': { rows: 300, columns: { name: { nDistinct: -1, avgWidth: 12 } } },
      'public.every_kind': {
        rows: 6000,
        columns: {
          owner: { nullFrac: 0.2, nDistinct: 250 },
          i2: { nDistinct: 900 },
          i4: { nullFrac: 0.1, nDistinct: -0.7 },
          i8: { nDistinct: -1, correlation: -0.95 },
          b: { nDistinct: 2 },
          u: { nDistinct: -1 },
          ts: { nDistinct: -1, correlation: 0.7 },
          tstz: { nDistinct: 3000 },
          ts3: { nDistinct: -1 },
          dt: { nullFrac: 0.05, nDistinct: 2000 },
          t: { nullFrac: 0.05, nDistinct: -0.9, avgWidth: 60 },
          vc: { nDistinct: 40, avgWidth: 30 },
          fixed: { nDistinct: 500 },
          nm: { nDistinct: -1 },
          j: { avgWidth: 80 },
          jb: { avgWidth: 120, nullFrac: 0.3 },
          m: { nDistinct: 4 },
          p: { nDistinct: -1 },
          ip: { nDistinct: -1 },
          cn: { nDistinct: 200 },
          one: { nDistinct: 1 },
        },
      },
    },
  }),
);

describe('--synthesize rows made in the client in binary', () => {
  it("md5 made in JavaScript is node:crypto's, for every prefix length and index size", () => {
    for (const prefix of ['', '4:', '42:7:', '42:123456:', '-5:999999:', '123456789012:123456:', 'x'.repeat(39)]) {
      const md5 = Md5Of.for(prefix)!;
      expect(md5, prefix).not.toBeNull();
      for (const i of [0, 1, 9, 10, 99, 12345, 4294967295, 4294967296, 2 ** 45 - 1, 2 ** 53 - 1]) {
        md5.of(i);
        const hex = Buffer.alloc(32);
        md5.hexInto(hex, 0, 32);
        expect(hex.toString('latin1'), `${prefix}${i}`).toBe(createHash('md5').update(`${prefix}${i}`).digest('hex'));
        const digits = Buffer.alloc(md5.ndigits);
        md5.digitsInto(digits, 0);
        expect(digits.toString('latin1')).toBe(String(i));
      }
    }
    // one block holds 55 bytes: a longer prefix is left to node:crypto
    expect(Md5Of.for('x'.repeat(40))).toBeNull();
    expect(Md5Of.for('é:1:')).toBeNull();
  });

  it('are the rows of the COPY text and of the server, NULLs, memos and foreign keys included', async () => {
    const [binary, text, server] = await Promise.all([freshDatabase('synbin_binary'), freshDatabase('synbin_text'), freshDatabase('synbin_server')]);
    const spec = { schema, stats, fraction: 1, seed: 42, jobs: 2 };
    await synthesize(binary, spec, silentLogger);
    await synthesize(text, { ...spec, clientBinary: false }, silentLogger);
    await synthesize(server, { ...spec, generator: 'server' }, silentLogger);
    // every column of both tables has a binary writer: both went binary
    const plans = planSynthesis({ catalog: await readSynthCatalog(binary), stats: await readStatsFile(stats), statsFile: stats, fraction: 1, seed: 42 });
    expect(plans.filter((p) => rowsInClientBinary(p) === null).map((p) => p.table.name)).toEqual([]);
    const made = await fingerprint(binary);
    expect(made.every_kind!.rows).toBe(6000);
    expect(made).toEqual(await fingerprint(text));
    expect(made).toEqual(await fingerprint(server));
    const [row] = await sql<Record<string, unknown>>(
      binary,
      `SELECT count(*) FILTER (WHERE owner IS NULL)::int AS owner_nulls, count(DISTINCT owner)::int AS owners, count(DISTINCT m)::int AS moods,
              count(DISTINCT one)::int AS ones, min(length(fixed))::int AS fixed_len, count(DISTINCT u)::int AS uuids
         FROM every_kind`,
    );
    expect(row).toEqual({ owner_nulls: 1200, owners: 250, moods: 4, ones: 1, fixed_len: 1, uuids: 6000 });
  });

  it('values far from the first rows read back as their COPY text', async () => {
    const url = await freshDatabase('synbin_far');
    const ctx = { seed: '42', salt: 4242, width: null };
    const cases: [TypeInfo, number][] = [
      [{ kind: 'timestamp', sql: 'timestamp without time zone' }, 8e9],
      [{ kind: 'timestamp', sql: 'timestamp with time zone' }, 8e9],
      [{ kind: 'date', sql: 'date' }, 2_899_999],
      [{ kind: 'inet', sql: 'inet' }, 2 ** 32 - 1 - 2 ** 24],
      [{ kind: 'inet', sql: 'cidr' }, 2 ** 32 - 1 - 2 ** 24],
      [{ kind: 'int', bytes: 8, sql: 'bigint' }, 2 ** 45 - 1],
      [{ kind: 'int', bytes: 4, sql: 'integer' }, 2_147_483_645],
      [{ kind: 'int', bytes: 2, sql: 'smallint' }, 32_765],
      [{ kind: 'uuid', sql: 'uuid' }, 2 ** 45 - 1],
    ];
    const indexes = [0, 1, 59, 60, 86_399, 86_400, 32_765, 2_899_999, 123_456_789, 2_147_483_645, 4_000_000_000, 8e9, 2 ** 32 - 1 - 2 ** 24, 2 ** 45 - 1];
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`SET TimeZone = 'UTC'`);
      for (const [type, max] of cases) {
        const bin = valueBin(type, ctx, max)!;
        const js = valueJs(type, ctx, max)!;
        const at = indexes.filter((x) => x <= max);
        await c.query(`DROP TABLE IF EXISTS far; CREATE TABLE far (i bigint, v ${type.sql})`);
        // rows (i, value(i)) in binary: i written as an int8 field by hand
        const w = new BinWriter(1024);
        for (const i of at) {
          w.int16(2);
          const f = w.field(8);
          w.buf.writeBigInt64BE(BigInt(i), f);
          bin(i, w);
        }
        await pipeline(
          Readable.from([COPY_BINARY_HEADER, w.buf.subarray(0, w.pos), COPY_BINARY_TRAILER]),
          c.query(copyFrom('COPY far FROM STDIN WITH (FORMAT binary)')),
        );
        const differ = await c.query(
          `SELECT i::text, v::text FROM far JOIN unnest($1::int8[], $2::text[]) AS u(j, t) ON j = i WHERE v IS DISTINCT FROM t::${type.sql}`,
          [at, at.map((i) => js(i))],
        );
        expect(differ.rows, type.sql).toEqual([]);
        expect(Number((await c.query('SELECT count(*) FROM far')).rows[0].count), type.sql).toBe(at.length);
      }
    } finally {
      await c.end();
    }
  });
});
