#!/usr/bin/env zx
/**
 * Loading on a many-index real-world-shaped schema: the tool against pg_restore, side by side.
 *
 *   zx scripts/bench/load.mjs [--fraction 1] [--rounds 2] [--jobs 2] [--only a|b] [--verbose]
 *
 * The schema is fixtures/analytics (6 tables, uuid keys, varchar/text/timestamptz/jsonb, 28 keys
 * and indexes, 10 of them on events, 8 foreign keys), its statistics fixtures/analytics/stats.json
 * (1,012,000 rows at --fraction 1). Servers are embedded PostgreSQL of the installed pg_dump's
 * major (pg_dump cannot dump a newer server), so the dump is written and read by the same major.
 *
 * (a) one server, started with the load settings (fsync off, wal_level minimal, …): the tool's
 *     synthesis (loadDataset --synthesize: schema, rows, keys, indexes, foreign keys, VACUUM
 *     ANALYZE) into a fresh database, against `pg_restore -j<jobs>` of a pg_dump -Fc of the same
 *     rows into another fresh database, then the same `VACUUM (ANALYZE)`. The first round's
 *     synthesized database is the one dumped.
 * (b) the tool's first `--dump` load (loadDataset: pg_restore with the tool's settings and jobs,
 *     VACUUM ANALYZE, CHECKPOINT) into a fresh server started with the load settings, against bare
 *     `pg_restore -j<jobs>` + `VACUUM (ANALYZE)` into a fresh server with PostgreSQL's default
 *     durability.
 * Each round runs both sides, in turns (the second round starts with the other side), so a
 * machine whose load drifts weighs on both alike. Every server is stopped on every path.
 */
import { register } from 'tsx/esm/api';

register();
const { provision, bundledMajor } = await import('../../src/provision/index.ts');
const { loadDataset } = await import('../../src/load/index.ts');
const { clientTool, clientConnection } = await import('../../src/load/client-tools.ts');
const { createLogger, silentLogger } = await import('../../src/core/log.ts');
const { withClient } = await import('../../src/core/client.ts');

const fraction = Number(argv.fraction ?? 1);
const rounds = Math.max(1, Number(argv.rounds ?? 2));
const jobs = Number(argv.jobs ?? 2);
const only = argv.only;
const log = argv.verbose ? createLogger({ periodicMs: 2000 }) : silentLogger;
const say = (m) => process.stderr.write(`${m}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const schema = path.resolve('fixtures/analytics/schema.sql');
const stats = path.resolve('fixtures/analytics/stats.json');

const query = async (url, text) => (await withClient(url, 'bench', (c) => c.query(text))).rows;
const dbUrl = (base, name) => {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
};
async function withServer(options, fn) {
  const instance = await provision(options, log);
  try {
    return await fn(instance);
  } finally {
    await instance.stop();
  }
}
/** bare pg_restore -j + VACUUM (ANALYZE), timed apart */
async function bareRestore(url, dumpPath) {
  const { conninfo, env } = clientConnection(url);
  let t0 = performance.now();
  await $({ env: { ...process.env, ...env } })`pg_restore --no-owner --no-privileges --exit-on-error -j ${jobs} -d ${conninfo} ${dumpPath}`;
  const restoreMs = performance.now() - t0;
  t0 = performance.now();
  await query(url, 'VACUUM (ANALYZE)');
  return { restoreMs, vacuumMs: performance.now() - t0, ms: restoreMs + performance.now() - t0 };
}
const range = (xs) => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo.toFixed(2) === hi.toFixed(2) ? `${lo.toFixed(2)}x` : `${lo.toFixed(2)}–${hi.toFixed(2)}x`;
};

const pgDump = await clientTool('pg_dump');
const major = Math.min(pgDump.major, bundledMajor());
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-bench-load-'));
const dumpPath = path.join(tmp, 'analytics.dump');
const out = [];
try {
  // (a) synthesis vs the restore of the same rows, one server
  let rowsTotal = 0;
  await withServer({ provider: 'embedded', postgresMajor: major }, async (server) => {
    const synth = async (round) => {
      const db = `syn${round}`;
      await query(server.url, `CREATE DATABASE ${db}`);
      const t0 = performance.now();
      const summary = await loadDataset(dbUrl(server.url, db), { kind: 'synthesize', schema, stats, fraction, seed: 42 }, log);
      const ms = performance.now() - t0 - summary.phaseMs.checkpoint;
      rowsTotal = summary.tables.reduce((s, t) => s + t.rows, 0);
      if (round === 1) {
        const { conninfo, env } = clientConnection(dbUrl(server.url, db));
        await $({ env: { ...process.env, ...env } })`pg_dump -Fc --no-sync -f ${dumpPath} -d ${conninfo}`;
      }
      await query(server.url, `DROP DATABASE ${db}`);
      await query(server.url, 'CHECKPOINT');
      return { ms, summary };
    };
    const restore = async (round) => {
      const db = `rst${round}`;
      await query(server.url, `CREATE DATABASE ${db}`);
      const r = await bareRestore(dbUrl(server.url, db), dumpPath);
      await query(server.url, `DROP DATABASE ${db}`);
      await query(server.url, 'CHECKPOINT');
      return r;
    };
    if (only === 'b') {
      await synth(1);
      return;
    }
    const ratios = [];
    for (let round = 1; round <= rounds; round++) {
      say(`(a) round ${round}: synthesis and pg_restore -j${jobs} of the same rows, PostgreSQL ${major}, one server`);
      let s;
      let r;
      if (round % 2 === 1) {
        s = await synth(round);
        r = await restore(round);
      } else {
        r = await restore(round);
        s = await synth(round);
      }
      const p = s.summary.phaseMs;
      ratios.push(r.ms / s.ms);
      out.push(
        `(a) round ${round}${round % 2 === 1 ? ' (synthesis first)' : ' (restore first)'}`,
        `    synthesis + VACUUM ANALYZE            ${seconds(s.ms)}   (rows, keys, indexes, foreign keys ${seconds(p.load)}, VACUUM ANALYZE ${seconds(p.vacuumAnalyze)})`,
        `    pg_restore -j${jobs} + VACUUM ANALYZE       ${seconds(r.ms)}   (pg_restore ${seconds(r.restoreMs)}, VACUUM ANALYZE ${seconds(r.vacuumMs)})`,
        `    restore / synthesis = ${(r.ms / s.ms).toFixed(2)}x`,
      );
    }
    out.push(`(a) synthesis against the restore of the same rows: ${range(ratios)} over ${rounds} round${rounds === 1 ? '' : 's'}`, '');
  });
  const dumpBytes = (await fs.stat(dumpPath)).size;

  // (b) the tool's first --dump load vs bare pg_restore on a default server
  if (only !== 'a') {
    const tool = async () =>
      withServer({ provider: 'embedded', postgresMajor: major }, async (server) => {
        const summary = await loadDataset(server.url, { kind: 'dump', path: dumpPath }, log);
        return { ms: summary.loadMs, summary };
      });
    const bare = async () =>
      withServer({ provider: 'embedded', postgresMajor: major }, async (server) => {
        await server.prepareForReplay(); // PostgreSQL's defaults: fsync, full_page_writes on, wal_level replica
        const settings = await server.settingsInForce();
        return { ...(await bareRestore(server.url, dumpPath)), settings };
      });
    const ratios = [];
    for (let round = 1; round <= rounds; round++) {
      say(`(b) round ${round}: the tool's first --dump load and bare pg_restore -j${jobs} on a default server`);
      let t;
      let b;
      if (round % 2 === 1) {
        t = await tool();
        b = await bare();
      } else {
        b = await bare();
        t = await tool();
      }
      const p = t.summary.phaseMs;
      ratios.push(b.ms / t.ms);
      out.push(
        `(b) round ${round}${round % 2 === 1 ? ' (tool first)' : ' (bare first)'}`,
        `    the tool's --dump load                ${seconds(t.ms)}   (pg_restore ${seconds(p.load)}, VACUUM ANALYZE ${seconds(p.vacuumAnalyze)}, CHECKPOINT ${seconds(p.checkpoint)})`,
        `    bare pg_restore -j${jobs} + VACUUM ANALYZE  ${seconds(b.ms)}   (pg_restore ${seconds(b.restoreMs)}, VACUUM ANALYZE ${seconds(b.vacuumMs)}; fsync=${b.settings.fsync} wal_level=${b.settings.wal_level} maintenance_work_mem=${b.settings.maintenance_work_mem})`,
        `    bare / tool = ${(b.ms / t.ms).toFixed(2)}x`,
      );
    }
    out.push(`(b) the first --dump load against bare pg_restore -j${jobs}: ${range(ratios)} over ${rounds} round${rounds === 1 ? '' : 's'}`);
  }

  console.log(`
load benchmark: fixtures/analytics at fraction ${fraction}, ${rowsTotal.toLocaleString('en-US')} rows, 28 keys and indexes, 8 foreign keys;
PostgreSQL ${major}, ${(dumpBytes / 1024 / 1024).toFixed(1)} MiB custom dump, -j${jobs}; ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(1)} at the end

${out.join('\n')}
`);
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}
