#!/usr/bin/env zx
/**
 * Loading on a many-index real-world-shaped schema: the tool against pg_restore, side by side.
 *
 *   zx scripts/bench/load.mjs [--fraction 1] [--rounds 2] [--jobs 2] [--only a|b] [--main-thread] [--verbose]
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
 * --main-thread adds to (a) the synthesis with every row made in the main thread (no worker threads).
 * Each side's CPU time is printed beside its wall time: this process with its threads and
 * waited-for children (pg_restore), and the server's processes.
 * It runs the compiled code (dist/, built first), as an installed package does.
 * Each round runs both sides, in turns (the second round starts with the other side), so a
 * machine whose load drifts weighs on both alike. Every server is stopped on every path.
 */
import { readdirSync, readFileSync } from 'node:fs';

// the compiled code, as an installed package runs it (npm run build first; its worker threads
// then load JavaScript, not TypeScript through tsx)
await $`npm run --silent build`;
const { provision, bundledMajor } = await import('../../dist/provision/index.js');
const { loadDataset, synthesize } = await import('../../dist/load/index.js');
const { settle } = await import('../../dist/load/summary.js');
const { clientTool, clientConnection } = await import('../../dist/load/client-tools.js');
const { createLogger, silentLogger } = await import('../../dist/core/log.js');
const { withClient } = await import('../../dist/core/client.js');

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
// CPU seconds as well as wall time: on a shared, loaded machine the wall time of a side depends on
// what else runs; the CPU it used (this process with its threads and waited-for children such as
// pg_restore, plus the server's postmaster and backends) much less so
const TICK = 1000 / Number((await $`getconf CLK_TCK`.quiet()).stdout.trim());
const statOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return null; // gone
  }
};
/** ms of CPU: utime + stime (+ the reaped children's) of a process */
const cpuOf = (f, children = true) => (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) * TICK;
/** the postmaster: the parent of a backend, read while that backend's connection is open */
async function postmasterOf(url) {
  return withClient(url, 'bench', async (c) => {
    const { pid } = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0];
    return Number(statOf(pid)[1]);
  });
}
/** this process and its reaped children, plus the server's postmaster, its reaped and its live children */
function cpuNow(postmaster) {
  let ms = cpuOf(statOf('self'));
  const pm = statOf(postmaster);
  if (pm) ms += cpuOf(pm);
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const f = statOf(pid);
    if (f && Number(f[1]) === postmaster) ms += cpuOf(f, false);
  }
  return ms;
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
/** the synthesis's steps: schema, fills, ANALYZEs, builds, foreign keys (sums of their wall times, side by side), this process's CPU */
const breakdown = ({ made, cpuMs }) => {
  const of = (kind) => made.steps.filter((w) => w.kind === kind);
  const sum = (ws) => ws.reduce((t, w) => t + w.ms, 0);
  const top = (ws) =>
    [...ws]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map((w) => `${w.label.replace(/^public\./, '')} ${seconds(w.ms)}`)
      .join(', ');
  const p = made.phaseMs;
  return [
    `        schema ${seconds(p.schema)}; rows+keys+indexes ${seconds(p.rows)}, foreign keys after them ${seconds(p.constraints)}; this process's CPU ${seconds(cpuMs)}`,
    `        fills   ${String(of('fill').length).padStart(2)}: ${seconds(sum(of('fill')))} summed (${top(of('fill'))})`,
    `        analyze ${String(of('analyze').length).padStart(2)}: ${seconds(sum(of('analyze')))} summed (${top(of('analyze'))})`,
    `        builds  ${String(of('build').length).padStart(2)}: ${seconds(sum(of('build')))} summed (${top(of('build'))})`,
    `        fks     ${String(of('fk').length).padStart(2)}: ${seconds(sum(of('fk')))} summed (${top(of('fk'))})`,
  ];
};
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
    const pm = await postmasterOf(server.url);
    const synth = async (round, extra = {}) => {
      const db = `syn${round}${extra.workerRows ? 'm' : ''}`;
      await query(server.url, `CREATE DATABASE ${db}`);
      // loadDataset's --synthesize path, its two steps apart to keep the synthesis's step timings
      const url = dbUrl(server.url, db);
      const cpu0 = cpuNow(pm);
      const own0 = process.cpuUsage();
      const t0 = performance.now();
      const made = await synthesize(url, { schema, stats, fraction, seed: 42, ...extra }, log);
      const load = performance.now() - t0;
      const own = process.cpuUsage(own0);
      const { vacuumAnalyze } = await settle(url, log, os.availableParallelism(), made.analyzed);
      const summary = { phaseMs: { load, vacuumAnalyze }, made, cpuMs: (own.user + own.system) / 1000 };
      const ms = load + vacuumAnalyze;
      const cpu = cpuNow(pm) - cpu0;
      rowsTotal = made.tables.reduce((s, t) => s + t.rows, 0);
      if (round === 1 && !extra.workerRows) {
        const { conninfo, env } = clientConnection(url);
        await $({ env: { ...process.env, ...env } })`pg_dump -Fc --no-sync -f ${dumpPath} -d ${conninfo}`;
      }
      await query(server.url, `DROP DATABASE ${db}`);
      await query(server.url, 'CHECKPOINT');
      return { ms, cpu, summary };
    };
    const restore = async (round) => {
      const db = `rst${round}`;
      await query(server.url, `CREATE DATABASE ${db}`);
      const cpu0 = cpuNow(pm);
      const r = await bareRestore(dbUrl(server.url, db), dumpPath);
      const cpu = cpuNow(pm) - cpu0;
      await query(server.url, `DROP DATABASE ${db}`);
      await query(server.url, 'CHECKPOINT');
      return { ...r, cpu };
    };
    if (only === 'b') {
      await synth(1);
      return;
    }
    const ratios = [];
    const cpuRatios = [];
    const mainRatios = [];
    for (let round = 1; round <= rounds; round++) {
      say(`(a) round ${round}: synthesis and pg_restore -j${jobs} of the same rows, PostgreSQL ${major}, one server`);
      const sides = [() => synth(round), () => restore(round)];
      if (argv['main-thread']) sides.push(() => synth(round, { workerRows: Number.MAX_SAFE_INTEGER }));
      if (round % 2 === 0) sides.reverse();
      const done = [];
      for (const side of sides) done.push(await side());
      if (round % 2 === 0) done.reverse();
      const [s, r, m] = done;
      const p = s.summary.phaseMs;
      ratios.push(r.ms / s.ms);
      cpuRatios.push(r.cpu / s.cpu);
      if (m) mainRatios.push(m.ms / s.ms);
      out.push(
        `(a) round ${round}${round % 2 === 1 ? ' (synthesis first)' : ' (restore first)'}`,
        `    synthesis + VACUUM ANALYZE            ${seconds(s.ms)}, CPU ${seconds(s.cpu)}   (rows, keys, indexes, foreign keys ${seconds(p.load)}, VACUUM ANALYZE ${seconds(p.vacuumAnalyze)})`,
        ...breakdown(s.summary),
        ...(m ? [`    the same, rows made in the main thread ${seconds(m.ms)}, CPU ${seconds(m.cpu)}   (this process's CPU ${seconds(m.summary.cpuMs)})`] : []),
        `    pg_restore -j${jobs} + VACUUM ANALYZE       ${seconds(r.ms)}, CPU ${seconds(r.cpu)}   (pg_restore ${seconds(r.restoreMs)}, VACUUM ANALYZE ${seconds(r.vacuumMs)})`,
        `    restore / synthesis = ${(r.ms / s.ms).toFixed(2)}x wall, ${(r.cpu / s.cpu).toFixed(2)}x CPU`,
      );
    }
    say(out.join('\n')); // printed again with (b) at the end
    out.push(
      `(a) synthesis against the restore of the same rows: ${range(ratios)} wall, ${range(cpuRatios)} CPU over ${rounds} round${rounds === 1 ? '' : 's'}` +
        (mainRatios.length ? `; worker threads against rows made in the main thread: ${range(mainRatios)} wall` : ''),
      '',
    );
  });
  const dumpBytes = (await fs.stat(dumpPath)).size;

  // (b) the tool's first --dump load vs bare pg_restore on a default server
  if (only !== 'a') {
    const tool = async () =>
      withServer({ provider: 'embedded', postgresMajor: major }, async (server) => {
        const pm = await postmasterOf(server.url);
        const cpu0 = cpuNow(pm);
        const summary = await loadDataset(server.url, { kind: 'dump', path: dumpPath }, log);
        return { ms: summary.loadMs, summary, cpu: cpuNow(pm) - cpu0 };
      });
    const bare = async () =>
      withServer({ provider: 'embedded', postgresMajor: major }, async (server) => {
        await server.prepareForReplay(); // PostgreSQL's defaults: fsync, full_page_writes on, wal_level replica
        const settings = await server.settingsInForce();
        const pm = await postmasterOf(server.url);
        const cpu0 = cpuNow(pm);
        const r = await bareRestore(server.url, dumpPath);
        return { ...r, settings, cpu: cpuNow(pm) - cpu0 };
      });
    const ratios = [];
    const cpuRatios = [];
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
      cpuRatios.push(b.cpu / t.cpu);
      out.push(
        `(b) round ${round}${round % 2 === 1 ? ' (tool first)' : ' (bare first)'}`,
        `    the tool's --dump load                ${seconds(t.ms)}, CPU ${seconds(t.cpu)}   (pg_restore ${seconds(p.load)}, VACUUM ANALYZE ${seconds(p.vacuumAnalyze)}, CHECKPOINT ${seconds(p.checkpoint)})`,
        `    bare pg_restore -j${jobs} + VACUUM ANALYZE  ${seconds(b.ms)}, CPU ${seconds(b.cpu)}   (pg_restore ${seconds(b.restoreMs)}, VACUUM ANALYZE ${seconds(b.vacuumMs)}; fsync=${b.settings.fsync} wal_level=${b.settings.wal_level} maintenance_work_mem=${b.settings.maintenance_work_mem})`,
        `    bare / tool = ${(b.ms / t.ms).toFixed(2)}x wall, ${(b.cpu / t.cpu).toFixed(2)}x CPU`,
      );
    }
    out.push(
      `(b) the first --dump load against bare pg_restore -j${jobs}: ${range(ratios)} wall, ${range(cpuRatios)} CPU over ${rounds} round${rounds === 1 ? '' : 's'}`,
    );
  }

  console.log(`
load benchmark: fixtures/analytics at fraction ${fraction}, ${rowsTotal.toLocaleString('en-US')} rows, 28 keys and indexes, 8 foreign keys;
PostgreSQL ${major}, ${(dumpBytes / 1024 / 1024).toFixed(1)} MiB custom dump, -j${jobs}; ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(1)} at the end

${out.join('\n')}
`);
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}
