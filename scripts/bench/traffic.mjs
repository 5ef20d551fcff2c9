#!/usr/bin/env zx
/**
 * How fast and how lean the traffic driver is.
 *
 *   zx scripts/bench/traffic.mjs [--clients 8,64] [--seconds 20] [--rounds 4] [--scale 10] [--threads auto|N]
 *                                [--soak-minutes 10] [--soak-clients 50] [--skip-soak]
 *
 * 1. Throughput: on one embedded PostgreSQL (replay settings) with pgbench's tables at --scale,
 *    for each client count, side by side: `pgbench -S -c <clients> -j 2 -T <seconds>` (point
 *    selects, closed loop) with its simple query protocol, with -M extended and with -M prepared,
 *    and the tool's driver with the same number of clients running the same point select, closed
 *    loop, for the same time: as an app without `prepared` (extended protocol, unnamed statement:
 *    parsed and planned each time, as node-postgres sends a query with parameters: like for like
 *    with -M extended; also shown against the simple protocol, which costs the server less) and as
 *    an app with `prepared: true` (like for like with -M prepared). Prints each rate, the ratios
 *    (aim: >= 0.8), and the client-side CPU per query (this process's threads vs pgbench's), which
 *    a machine busy with other work changes less than the rates. The --seconds of each cell are
 *    run as --rounds slices, the five variants taking turns, so a load that drifts during the run
 *    (other work on a shared machine) weighs on all of them alike; each figure sums its slices.
 * 2. Memory: the driver with --soak-clients clients for --soak-minutes minutes, printing this
 *    process's RSS at the start, every minute, and at the end (flat is the aim: latencies go to
 *    HDR histograms and fixed per-second buckets, nothing grows per query).
 * Needs pgbench (Debian: postgresql-15 or postgresql-contrib). Every server it starts is stopped.
 */
import { register } from 'tsx/esm/api';

register();
const { provision } = await import('../../src/provision/index.ts');
const { parseWorkload, startTraffic } = await import('../../src/traffic/index.ts');
const { silentLogger } = await import('../../src/core/log.ts');

const clientCounts = String(argv.clients ?? '8,64')
  .split(',')
  .map(Number);
const threads = argv.threads === undefined || argv.threads === 'auto' ? undefined : Number(argv.threads);
const seconds = Number(argv.seconds ?? 20);
const rounds = Math.max(1, Number(argv.rounds ?? 4));
const slice = Math.max(1, Math.round(seconds / rounds));
const scale = Number(argv.scale ?? 10);
const soakMinutes = Number(argv['soak-minutes'] ?? 10);
const soakClients = Number(argv['soak-clients'] ?? 50);
const say = (m) => process.stderr.write(`${m}\n`);
const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

if (!(await which('pgbench', { nothrow: true }))) {
  say('pgbench not found: apt-get install postgresql-15 (or postgresql-contrib)');
  process.exit(3);
}

const workload = (n, prepared = false) =>
  parseWorkload(
    JSON.stringify({
      apps: {
        bench: {
          clients: n,
          prepared,
          queries: [{ name: 'point_select', sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1', params: [{ int: [1, scale * 100_000] }] }],
        },
      },
    }),
    'bench.json',
  );

async function drive(url, n, ms, onMinute, prepared = false) {
  const run = await startTraffic(url, workload(n, prepared), { log: silentLogger, ...(threads !== undefined ? { threads } : {}) });
  const cpu = process.cpuUsage();
  const started = Date.now();
  while (Date.now() - started < ms) {
    await sleep(Math.min(60_000, ms - (Date.now() - started)));
    onMinute?.(Date.now() - started);
  }
  const lastRss = process.memoryUsage().rss;
  const result = await run.stop();
  const used = process.cpuUsage(cpu);
  const q = result.apps[0].queries[0];
  return {
    count: q.count,
    errors: q.errors,
    seconds: (result.endedAt - result.startedAt) / 1000,
    p99: q.p99Ms,
    cpuUs: (used.user + used.system) / q.count,
    lastRss,
  };
}

/** CPU time (µs) of this process's reaped children: pgbench's, once it exited. */
async function childCpuMs() {
  const fields = (await fs.readFile('/proc/self/stat', 'utf8')).split(') ')[1].split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime
  return (ticks * 1000) / 100;
}

async function pgbench(url, n, mode) {
  const before = await childCpuMs();
  const out = (await $`pgbench -S -n -M ${mode} -c ${n} -j 2 -T ${slice} ${url}`.quiet()).stdout;
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  const txns = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1]);
  if (!Number.isFinite(tps)) say(`pgbench -M ${mode} -c ${n}: no tps in its output:\n${out.split('\n').slice(-8).join('\n')}`);
  return { count: txns, seconds: txns / tps, cpuUs: (((await childCpuMs()) - before) * 1000) / txns };
}

/** Slices of one variant as one figure: queries over seconds, CPU over queries. */
const total = (slices) => {
  const count = slices.reduce((a, d) => a + d.count, 0);
  return {
    count,
    seconds: slices.reduce((a, d) => a + d.seconds, 0),
    cpuUs: slices.reduce((a, d) => a + d.cpuUs * d.count, 0) / count,
    errors: Object.assign({}, ...slices.map((d) => d.errors ?? {})),
  };
};

const instance = await provision({ provider: 'embedded', settings: { max_connections: '300' } }, silentLogger);
try {
  await instance.prepareForReplay();
  const url = instance.url;
  say(`pgbench -i -s ${scale} …`);
  await $`pgbench -i -q -s ${scale} ${url}`.quiet();

  const rows = [];
  for (const n of clientCounts) {
    say(`${n} clients: pgbench -S (simple, extended, prepared), driver (unnamed, prepared), ${rounds} × ${slice} s each, taking turns …`);
    const runs = { simple: [], extended: [], unnamed: [], prepared: [], named: [] };
    for (let r = 0; r < rounds; r++) {
      runs.simple.push(await pgbench(url, n, 'simple'));
      runs.extended.push(await pgbench(url, n, 'extended'));
      runs.unnamed.push(await drive(url, n, slice * 1000));
      runs.prepared.push(await pgbench(url, n, 'prepared'));
      runs.named.push(await drive(url, n, slice * 1000, undefined, true));
    }
    const [simple, extended, unnamed, prepared, named] = ['simple', 'extended', 'unnamed', 'prepared', 'named'].map((k) => total(runs[k]));
    rows.push({ n, simple, extended, prepared, unnamed, named });
  }
  const rate = (d) => d.count / d.seconds;
  const cell = (tps, cpuUs) => `${tps.toFixed(0).padStart(6)} (${cpuUs.toFixed(0).padStart(2)})`;
  const ratio = (a, b) => (a / b).toFixed(2).padStart(5);
  console.log(
    `point selects, closed loop, ${seconds} s each (${rounds} turns of ${slice} s), pgbench scale ${scale}, driver threads ${threads ?? 'auto'}; per second (client CPU µs per query)`,
  );
  console.log(`clients | pgbench -S    | -S -M extended | driver        | ratio ext | ratio simple | -S -M prepared | driver prepared | ratio`);
  for (const { n, simple, extended, prepared, unnamed, named } of rows) {
    console.log(
      `${String(n).padStart(7)} | ${cell(rate(simple), simple.cpuUs)}  | ${cell(rate(extended), extended.cpuUs)}   | ${cell(rate(unnamed), unnamed.cpuUs)}  | ${ratio(rate(unnamed), rate(extended))}     | ${ratio(rate(unnamed), rate(simple))}        | ${cell(rate(prepared), prepared.cpuUs)}   | ${cell(rate(named), named.cpuUs)}    | ${ratio(rate(named), rate(prepared))}`,
    );
    for (const d of [unnamed, named]) if (Object.keys(d.errors).length) console.log(`  driver errors: ${JSON.stringify(d.errors)}`);
  }

  if (!argv['skip-soak']) {
    const rss = () => process.memoryUsage().rss;
    global.gc?.();
    console.log(`memory: ${soakClients} clients for ${soakMinutes} min; RSS before ${mib(rss())} (worker threads, if any, start after)`);
    // the trend that matters is from the first minute on, once the traffic's threads and pools are up
    let first;
    const s = await drive(url, soakClients, soakMinutes * 60_000, (ms) => {
      first ??= rss();
      console.log(`  ${(ms / 60_000).toFixed(1)} min: RSS ${mib(rss())}`);
    });
    const last = s.lastRss;
    console.log(
      `  last minute: RSS ${mib(last)} after ${s.count.toLocaleString('en-US')} queries; last/first minute ${(last / first).toFixed(2)}; after stop ${mib(rss())}`,
    );
  }
} finally {
  await instance.stop();
}
