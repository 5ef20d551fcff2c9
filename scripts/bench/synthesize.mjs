#!/usr/bin/env zx
/**
 * How fast --synthesize makes rows, against pgbench -i on the same server, side by side.
 *
 *   zx scripts/bench/synthesize.mjs [--scale 100000] [--jobs N] [--check] [--verbose]
 *
 * 1. One embedded PostgreSQL, started with the load settings (fsync off, wal_level minimal, …).
 * 2. Source: the shop fixture at --scale orders (users scale/5, products, order_items ≈ 2.5 × scale);
 *    its statistics read with `rehearse stats` (collectStats), its schema is fixtures/shop/schema.sql.
 * 3. (a) synthesize at fraction 1 into a fresh database: schema, rows, keys/indexes/foreign keys,
 *        then VACUUM — the same steps pgbench -i takes.
 *    (b) pgbench -i (client-side COPY generation, the default `dtgvp`) at the pgbench scale whose
 *        row count is closest, into another database of the same server.
 *    (c) pgbench -i -I dtGvp (server-side generation), the same scale.
 * 4. Prints rows/s of each and the ratios. --check also tests the acceptance figures on the
 *    synthesized data (rows within 1 %, null fractions within 2 points, distinct counts within
 *    10 % for columns with ≥ 100, every foreign key re-validated).
 * The server is stopped on every path.
 */
import { register } from 'tsx/esm/api';

register();
const { provision } = await import('../../src/provision/index.ts');
const { loadDataset, synthesize } = await import('../../src/load/index.ts');
const { clientConnection } = await import('../../src/load/client-tools.ts');
const { collectStats } = await import('../../src/stats/index.ts');
const { createLogger, silentLogger } = await import('../../src/util/log.ts');
const pg = (await import('pg')).default;

const scale = Number(argv.scale ?? 100_000);
const jobs = argv.jobs !== undefined ? Number(argv.jobs) : undefined;
const log = argv.verbose ? createLogger({ periodicMs: 2000 }) : silentLogger;
const say = (m) => process.stderr.write(`${m}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const rate = (rows, ms) => `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s`;

async function query(url, text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const dbUrl = (base, name) => {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
};

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-bench-synth-'));
const server = await provision({ provider: 'embedded' }, log);
try {
  for (const db of ['src', 'syn', 'pgb', 'pgbs']) await query(server.url, `CREATE DATABASE ${db}`);
  say(`source: shop fixture, scale ${scale}`);
  await loadDataset(dbUrl(server.url, 'src'), { kind: 'fixture', name: 'shop', scale }, log);
  const stats = await collectStats(dbUrl(server.url, 'src'));
  const statsFile = path.join(tmp, 'shop-stats.json');
  await fs.writeFile(statsFile, JSON.stringify(stats, null, 2));

  say('(a) --synthesize at fraction 1');
  const syn = dbUrl(server.url, 'syn');
  let started = performance.now();
  const made = await synthesize(syn, { schema: path.resolve('fixtures/shop/schema.sql'), stats: statsFile, fraction: 1, seed: 42, ...(jobs ? { jobs } : {}) }, log);
  await query(syn, 'VACUUM');
  const synMs = performance.now() - started;
  const synRows = made.tables.reduce((s, t) => s + t.rows, 0);

  const pgbScale = Math.max(1, Math.round(synRows / 100_000));
  const pgbRows = pgbScale * (100_000 + 10 + 1);
  const pgbench = async (db, steps) => {
    const { conninfo, env } = clientConnection(dbUrl(server.url, db));
    const t0 = performance.now();
    await $({ env: { ...process.env, ...env } })`pgbench -i -q -I ${steps} -s ${pgbScale} ${conninfo}`.quiet();
    return performance.now() - t0;
  };
  say(`(b) pgbench -i -s ${pgbScale} (dtgvp: client-side COPY)`);
  const pgbMs = await pgbench('pgb', 'dtgvp');
  say(`(c) pgbench -i -s ${pgbScale} -I dtGvp (server-side generation)`);
  const pgbsMs = await pgbench('pgbs', 'dtGvp');

  const ps = made.phaseMs;
  console.log(`
synthesize benchmark: shop statistics of scale ${scale} (${synRows.toLocaleString('en-US')} rows in ${made.tables.length} tables), ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(1)}

(a) --synthesize        ${seconds(synMs)}  ${rate(synRows, synMs)}   (schema ${seconds(ps.schema)}, rows+VACUUM+keys+indexes ${seconds(ps.rows)}, FKs ${seconds(ps.constraints)}, last VACUUM ${seconds(synMs - ps.schema - ps.rows - ps.constraints)})
(b) pgbench -i          ${seconds(pgbMs)}  ${rate(pgbRows, pgbMs)}   (scale ${pgbScale}: ${pgbRows.toLocaleString('en-US')} rows)
(c) pgbench -i -I dtGvp ${seconds(pgbsMs)}  ${rate(pgbRows, pgbsMs)}

rows/s  synthesize / pgbench -i          = ${((synRows / synMs) / (pgbRows / pgbMs)).toFixed(2)}x
rows/s  synthesize / pgbench -i -I dtGvp = ${((synRows / synMs) / (pgbRows / pgbsMs)).toFixed(2)}x
`);

  if (argv.check) {
    const c = new pg.Client({ connectionString: syn });
    await c.connect();
    const problems = [];
    let worst = { rows: 0, nulls: 0, distinct: 0 };
    try {
      for (const [name, t] of Object.entries(stats.tables)) {
        const table = name.replace(/^public\./, '');
        const n = Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
        const dr = Math.abs(n - t.rows) / t.rows;
        worst.rows = Math.max(worst.rows, dr);
        if (dr > 0.01) problems.push(`${name}: ${n} rows vs ${t.rows}`);
        for (const [column, cs] of Object.entries(t.columns ?? {})) {
          const r = (await c.query(`SELECT count(*) FILTER (WHERE ${column} IS NULL)::float8 / count(*) AS nf, count(DISTINCT ${column})::float8 AS d FROM ${table}`)).rows[0];
          const dn = Math.abs(r.nf - cs.nullFrac);
          worst.nulls = Math.max(worst.nulls, dn);
          if (dn > 0.02) problems.push(`${name}.${column}: null fraction ${r.nf} vs ${cs.nullFrac}`);
          const want = cs.nDistinct < 0 ? -cs.nDistinct * t.rows : cs.nDistinct;
          if (want >= 100) {
            const dd = Math.abs(r.d - want) / want;
            worst.distinct = Math.max(worst.distinct, dd);
            if (dd > 0.1) problems.push(`${name}.${column}: ${r.d} distinct vs ${Math.round(want)}`);
          }
        }
      }
      const fks = (await c.query(`SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f'`)).rows;
      for (const fk of fks) {
        await c.query(`ALTER TABLE ${fk.t} DROP CONSTRAINT ${fk.conname}`);
        await c.query(`ALTER TABLE ${fk.t} ADD CONSTRAINT ${fk.conname} ${fk.def} NOT VALID`);
        await c.query(`ALTER TABLE ${fk.t} VALIDATE CONSTRAINT ${fk.conname}`);
      }
      console.log(`check: rows off by at most ${(100 * worst.rows).toFixed(2)} %, null fractions by ${(100 * worst.nulls).toFixed(2)} points, distinct counts (≥ 100) by ${(100 * worst.distinct).toFixed(2)} %; ${fks.length} foreign keys validated`);
      console.log(problems.length ? `check FAILED:\n  ${problems.join('\n  ')}` : 'check: all within the acceptance bounds');
    } finally {
      await c.end();
    }
    if (problems.length) process.exitCode = 1;
  }
} finally {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
}
