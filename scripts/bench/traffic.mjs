#!/usr/bin/env zx
/**
 * How fast and how lean the traffic driver is.
 *
 *   zx scripts/bench/traffic.mjs [--clients 8,64] [--seconds 20] [--scale 10] [--threads auto|N]
 *                                [--soak-minutes 10] [--soak-clients 50] [--skip-soak]
 *
 * 1. Throughput: on one embedded PostgreSQL (replay settings) with pgbench's tables at --scale,
 *    for each client count, side by side: `pgbench -S -c <clients> -j 2 -T <seconds>` (point
 *    selects, closed loop) with its simple query protocol and with -M prepared, and the tool's
 *    driver with the same number of clients running the same point select, closed loop, for the
 *    same time: as an app without `prepared` (extended protocol, unnamed statement: parsed and
 *    planned each time, like pgbench's simple protocol) and as an app with `prepared: true`
 *    (like pgbench -M prepared). Prints each rate, the ratios like for like (aim: >= 0.8), and the
 *    client-side CPU per query (this process's threads vs pgbench's), which a machine busy with
 *    other work changes less than the rates.
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
  const out = (await $`pgbench -S -n -M ${mode} -c ${n} -j 2 -T ${seconds} ${url}`.quiet()).stdout;
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  const txns = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1]);
  if (!Number.isFinite(tps)) say(`pgbench -M ${mode} -c ${n}: no tps in its output:\n${out.split('\n').slice(-8).join('\n')}`);
  return { tps, cpuUs: (((await childCpuMs()) - before) * 1000) / txns };
}

const instance = await provision({ provider: 'embedded', settings: { max_connections: '300' } }, silentLogger);
try {
  await instance.prepareForReplay();
  const url = instance.url;
  say(`pgbench -i -s ${scale} …`);
  await $`pgbench -i -q -s ${scale} ${url}`.quiet();

  const rows = [];
  for (const n of clientCounts) {
    say(`${n} clients: pgbench -S (simple, then prepared), driver (unnamed, then prepared), ${seconds} s each …`);
    const simple = await pgbench(url, n, 'simple');
    const prepared = await pgbench(url, n, 'prepared');
    const unnamed = await drive(url, n, seconds * 1000);
    const named = await drive(url, n, seconds * 1000, undefined, true);
    rows.push({ n, simple, prepared, unnamed, named });
  }
  const rate = (d) => d.count / d.seconds;
  const f = (x) => x.toFixed(0).padStart(7);
  console.log(
    `point selects, closed loop, ${seconds} s each, pgbench scale ${scale}, driver threads ${threads ?? 'auto'}; per second (client CPU µs per query)`,
  );
  console.log(`clients | pgbench -S | driver     | ratio | pgbench -S -M prepared | driver prepared | ratio`);
  for (const { n, simple, prepared, unnamed, named } of rows) {
    console.log(
      `${String(n).padStart(7)} | ${f(simple.tps)} (${simple.cpuUs.toFixed(0)}) | ${f(rate(unnamed))} (${unnamed.cpuUs.toFixed(0)}) | ${(rate(unnamed) / simple.tps).toFixed(2)}  | ${f(prepared.tps)} (${prepared.cpuUs.toFixed(0)})          | ${f(rate(named))} (${named.cpuUs.toFixed(0)})     | ${(rate(named) / prepared.tps).toFixed(2)}`,
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
