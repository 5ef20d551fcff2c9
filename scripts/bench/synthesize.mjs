#!/usr/bin/env zx
/**
 * How fast --synthesize makes rows, against pgbench -i on the same server, side by side.
 *
 *   zx scripts/bench/synthesize.mjs [--pgbench-scale 20] [--scale 100000] [--jobs N] [--check] [--verbose]
 *
 * One embedded PostgreSQL, started with the load settings (fsync off, wal_level minimal, …).
 * 1. Same tables, same rows: `pgbench -i -s <pgbench-scale>` (default steps dtgvp: client-side
 *    COPY, VACUUM, primary keys) into one database, timed; then its statistics (collectStats) and
 *    the pgbench schema (scripts/bench/pgbench-schema.sql) → --synthesize at fraction 1 into
 *    another database, timed with a VACUUM after (the same steps): rows made in this process
 *    (the default) and by a second backend (generator: 'server'). Also `pgbench -i -I dtGvp`
 *    (server-side generation). rows/s of each and the ratios.
 * 2. A richer schema: the shop fixture at --scale orders (4 tables, 8 keys and indexes, 3 foreign
 *    keys), its statistics → --synthesize at fraction 1, against pgbench -i of the nearest row
 *    count. --check tests the acceptance figures on it (rows within 1 %, null fractions within 2
 *    points, distinct counts within 10 % for columns with ≥ 100, every foreign key re-validated).
 * It runs the compiled code (dist/, built first), as an installed package does.
 * The server is stopped on every path.
 */
// the compiled code, as an installed package runs it (npm run build first)
await $`npm run --silent build`;
const { provision } = await import('../../dist/provision/index.js');
const { loadDataset, synthesize } = await import('../../dist/load/index.js');
const { clientConnection } = await import('../../dist/load/client-tools.js');
const { collectStats } = await import('../../dist/stats/index.js');
const { createLogger, silentLogger } = await import('../../dist/core/log.js');
const pg = (await import('pg')).default;
const { withClient } = await import('../../dist/core/client.js');

const scale = Number(argv.scale ?? 100_000);
const jobs = argv.jobs !== undefined ? Number(argv.jobs) : undefined;
const log = argv.verbose ? createLogger({ periodicMs: 2000 }) : silentLogger;
const say = (m) => process.stderr.write(`${m}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const rate = (rows, ms) => `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s`;

const query = async (url, text) => (await withClient(url, 'bench', (c) => c.query(text))).rows;

const dbUrl = (base, name) => {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
};

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-bench-synth-'));
const server = await provision({ provider: 'embedded' }, log);
try {
  for (const db of ['src', 'syn', 'pgb', 'pgbs', 'pgbsyn', 'pgbsyntext', 'pgb2']) await query(server.url, `CREATE DATABASE ${db}`);
  const pgbench = async (db, steps, pgbScale) => {
    const { conninfo, env } = clientConnection(dbUrl(server.url, db));
    const t0 = performance.now();
    await $({ env: { ...process.env, ...env } })`pgbench -i -q -I ${steps} -s ${pgbScale} ${conninfo}`.quiet();
    return performance.now() - t0;
  };
  const synthesizeTimed = async (db, schema, statsFile, extra = {}) => {
    const url = dbUrl(server.url, db);
    const t0 = performance.now();
    const made = await synthesize(url, { schema, stats: statsFile, fraction: 1, seed: 42, ...(jobs ? { jobs } : {}), ...extra }, log);
    await query(url, 'VACUUM');
    const ms = performance.now() - t0;
    return { made, ms, rows: made.tables.reduce((s, t) => s + t.rows, 0) };
  };
  const phases = (r) =>
    `schema ${seconds(r.made.phaseMs.schema)}, rows+keys+indexes ${seconds(r.made.phaseMs.rows)}, foreign keys ${seconds(r.made.phaseMs.constraints)}, VACUUM ${seconds(r.ms - r.made.phaseMs.schema - r.made.phaseMs.rows - r.made.phaseMs.constraints)}`;

  // 1. the pgbench tables
  const pgbScale1 = Number(argv['pgbench-scale'] ?? 20);
  say(`1. pgbench -i -s ${pgbScale1}, then --synthesize from its statistics`);
  const pgbMs1 = await pgbench('pgb', 'dtgvp', pgbScale1);
  const pgbStats = path.join(tmp, 'pgbench-stats.json');
  await fs.writeFile(pgbStats, JSON.stringify(await collectStats(dbUrl(server.url, 'pgb'))));
  const syn1 = await synthesizeTimed('pgbsyn', path.resolve('scripts/bench/pgbench-schema.sql'), pgbStats);
  const pgbsMs1 = await pgbench('pgbs', 'dtGvp', pgbScale1);
  const syn1server = await synthesizeTimed('pgbsyntext', path.resolve('scripts/bench/pgbench-schema.sql'), pgbStats, { generator: 'server' });
  const rows1 = syn1.rows;

  // 2. the shop
  say(`2. shop fixture, scale ${scale}, its statistics → --synthesize; pgbench -i of as many rows`);
  await loadDataset(dbUrl(server.url, 'src'), { kind: 'fixture', name: 'shop', scale }, log);
  const stats = await collectStats(dbUrl(server.url, 'src'));
  const statsFile = path.join(tmp, 'shop-stats.json');
  await fs.writeFile(statsFile, JSON.stringify(stats, null, 2));
  const syn2 = await synthesizeTimed('syn', path.resolve('fixtures/shop/schema.sql'), statsFile);
  const syn = dbUrl(server.url, 'syn');
  const pgbScale2 = Math.max(1, Math.round(syn2.rows / 100_000));
  const pgbRows2 = pgbScale2 * (100_000 + 10 + 1);
  const pgbMs2 = await pgbench('pgb2', 'dtgvp', pgbScale2);

  console.log(`
synthesize benchmark: ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(1)} at the end

1. the pgbench tables, ${rows1.toLocaleString('en-US')} rows (scale ${pgbScale1}), same server
   pgbench -i                ${seconds(pgbMs1)}  ${rate(rows1, pgbMs1)}
   pgbench -i -I dtGvp       ${seconds(pgbsMs1)}  ${rate(rows1, pgbsMs1)}
   --synthesize (+ VACUUM)   ${seconds(syn1.ms)}  ${rate(rows1, syn1.ms)}   (${phases(syn1)})
   --synthesize, server-made ${seconds(syn1server.ms)}  ${rate(rows1, syn1server.ms)}   (rows made by a second backend from the plan's SQL, piped into COPY, as before values-js.ts)
   rows/s  synthesize / pgbench -i          = ${(pgbMs1 / syn1.ms).toFixed(2)}x   (server-made: ${(pgbMs1 / syn1server.ms).toFixed(2)}x)
   rows/s  synthesize / pgbench -i -I dtGvp = ${(pgbsMs1 / syn1.ms).toFixed(2)}x

2. the shop, statistics of scale ${scale}: ${syn2.rows.toLocaleString('en-US')} rows in ${syn2.made.tables.length} tables, 8 keys and indexes, 3 foreign keys
   --synthesize (+ VACUUM)   ${seconds(syn2.ms)}  ${rate(syn2.rows, syn2.ms)}   (${phases(syn2)})
   pgbench -i -s ${pgbScale2}${' '.repeat(Math.max(1, 12 - String(pgbScale2).length))}${seconds(pgbMs2)}  ${rate(pgbRows2, pgbMs2)}   (${pgbRows2.toLocaleString('en-US')} rows, 1 big primary key)
   rows/s  synthesize / pgbench -i          = ${(syn2.rows / syn2.ms / (pgbRows2 / pgbMs2)).toFixed(2)}x
`);

  if (argv.check) {
    const c = new pg.Client({ connectionString: syn });
    await c.connect();
    const problems = [];
    const worst = { rows: 0, nulls: 0, distinct: 0 };
    try {
      for (const [name, t] of Object.entries(stats.tables)) {
        const table = name.replace(/^public\./, '');
        const n = Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
        const dr = Math.abs(n - t.rows) / t.rows;
        worst.rows = Math.max(worst.rows, dr);
        if (dr > 0.01) problems.push(`${name}: ${n} rows vs ${t.rows}`);
        for (const [column, cs] of Object.entries(t.columns ?? {})) {
          const r = (
            await c.query(`SELECT count(*) FILTER (WHERE ${column} IS NULL)::float8 / count(*) AS nf, count(DISTINCT ${column})::float8 AS d FROM ${table}`)
          ).rows[0];
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
      const fks = (await c.query(`SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f'`))
        .rows;
      for (const fk of fks) {
        await c.query(`ALTER TABLE ${fk.t} DROP CONSTRAINT ${fk.conname}`);
        await c.query(`ALTER TABLE ${fk.t} ADD CONSTRAINT ${fk.conname} ${fk.def} NOT VALID`);
        await c.query(`ALTER TABLE ${fk.t} VALIDATE CONSTRAINT ${fk.conname}`);
      }
      console.log(
        `check: rows off by at most ${(100 * worst.rows).toFixed(2)} %, null fractions by ${(100 * worst.nulls).toFixed(2)} points, distinct counts (≥ 100) by ${(100 * worst.distinct).toFixed(2)} %; ${fks.length} foreign keys validated`,
      );
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
