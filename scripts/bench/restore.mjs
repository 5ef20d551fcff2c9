#!/usr/bin/env zx
/**
 * How much faster the load stage restores than a plain pg_restore on a default server.
 *
 *   zx scripts/bench/restore.mjs [--scale 200000] [--dump file.dump] [--jobs 2] [--verbose]
 *
 * 1. Without --dump: generates the shop fixture at --scale orders on an embedded PostgreSQL of the
 *    installed pg_dump's major (pg_dump cannot dump a newer server) and dumps it with pg_dump -Fc.
 * 2. (a) the tool: loadDataset() into a fresh embedded server with the load settings the
 *    provision module starts it with (fsync off, wal_level minimal, ...), pg_restore -j<jobs>,
 *    then VACUUM ANALYZE and CHECKPOINT.
 *    (b) the baseline: plain `pg_restore -j<jobs>` into an embedded server with PostgreSQL's
 *    default durability (fsync, synchronous_commit, full_page_writes on, wal_level replica,
 *    default max_wal_size), then the same VACUUM ANALYZE, timed apart.
 * 3. Prints both and the ratios. Every server it starts is stopped, on errors and Ctrl-C too.
 */
import { register } from 'tsx/esm/api';

register();
const { provision, bundledMajor } = await import('../../src/provision/index.ts');
const { loadDataset } = await import('../../src/load/index.ts');
const { clientTool, clientConnection } = await import('../../src/load/client-tools.ts');
const { createLogger, silentLogger } = await import('../../src/core/log.ts');
const { withClient } = await import('../../src/core/client.ts');

const scale = Number(argv.scale ?? 200_000);
const jobs = Number(argv.jobs ?? 2);
const log = argv.verbose ? createLogger({ periodicMs: 2000 }) : silentLogger;
const say = (m) => process.stderr.write(`${m}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** Runs fn with a fresh server and always stops it. */
async function withServer(options, fn) {
  const instance = await provision(options, log);
  try {
    return await fn(instance);
  } finally {
    await instance.stop();
  }
}

const query = async (url, text) => (await withClient(url, 'bench', (c) => c.query(text))).rows;

let tmp;
let dumpPath = argv.dump;
try {
  if (!dumpPath) {
    const pgDump = await clientTool('pg_dump');
    const major = Math.min(pgDump.major, bundledMajor());
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-bench-'));
    dumpPath = path.join(tmp, `shop-${scale}.dump`);
    say(`building the dump: shop fixture, scale ${scale}, on embedded PostgreSQL ${major}, pg_dump ${pgDump.version} -Fc`);
    await withServer({ provider: 'embedded', postgresMajor: major }, async (source) => {
      await loadDataset(source.url, { kind: 'fixture', name: 'shop', scale }, log);
      const { conninfo, env } = clientConnection(source.url);
      await $({ env: { ...process.env, ...env } })`pg_dump -Fc --no-sync -f ${dumpPath} -d ${conninfo}`;
    });
  }
  const dumpBytes = (await fs.stat(dumpPath)).size;
  say(`dump: ${dumpPath} (${(dumpBytes / 1024 / 1024).toFixed(1)} MiB)`);

  say(`(a) the tool: loadDataset into embedded PostgreSQL ${bundledMajor()} with load settings, -j${jobs}`);
  const tool = await withServer({ provider: 'embedded' }, async (server) => {
    const settings = await server.settingsInForce();
    const started = performance.now();
    const summary = await loadDataset(server.url, { kind: 'dump', path: dumpPath, jobs }, log);
    return { wallMs: performance.now() - started, summary, settings };
  });

  say(`(b) baseline: pg_restore -j${jobs} into embedded PostgreSQL ${bundledMajor()} with default durability`);
  const baseline = await withServer({ provider: 'embedded' }, async (server) => {
    await server.prepareForReplay(); // restarts without the load settings: PostgreSQL defaults
    const settings = await server.settingsInForce();
    const { conninfo, env } = clientConnection(server.url);
    let started = performance.now();
    await $({ env: { ...process.env, ...env } })`pg_restore --no-owner --no-privileges --exit-on-error -j ${jobs} -d ${conninfo} ${dumpPath}`;
    const restoreMs = performance.now() - started;
    started = performance.now();
    await query(server.url, 'VACUUM (ANALYZE)');
    const vacuumMs = performance.now() - started;
    const rows = await query(server.url, 'SELECT count(*)::int AS n FROM orders');
    return { restoreMs, vacuumMs, settings, orders: rows[0].n };
  });

  const t = tool.summary.phaseMs;
  const show = (s) => ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'max_wal_size'].map((k) => `${k}=${s[k]}`).join(' ');
  const ordersRestored = tool.summary.tables.find((x) => x.name === 'orders')?.rows;
  console.log(`
restore benchmark: shop scale ${scale} (${ordersRestored} orders; baseline restored ${baseline.orders}), ${(dumpBytes / 1024 / 1024).toFixed(1)} MiB custom dump, -j${jobs}, ${os.availableParallelism()} CPUs

(a) tool      ${show(tool.settings)}
    restore                    ${seconds(t.load)}
    VACUUM ANALYZE             ${seconds(t.vacuumAnalyze)}
    CHECKPOINT                 ${seconds(t.checkpoint)}
    loadMs (all of it)         ${seconds(tool.summary.loadMs)}
(b) baseline  ${show(baseline.settings)}
    pg_restore                 ${seconds(baseline.restoreMs)}
    VACUUM ANALYZE             ${seconds(baseline.vacuumMs)}

restore only:         baseline / tool = ${(baseline.restoreMs / t.load).toFixed(2)}x
restore + VACUUM:     baseline / tool = ${((baseline.restoreMs + baseline.vacuumMs) / (t.load + t.vacuumAnalyze)).toFixed(2)}x
`);
} finally {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
}
