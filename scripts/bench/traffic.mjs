#!/usr/bin/env zx
/**
 * How fast and how lean the traffic driver is.
 *
 *   zx scripts/bench/traffic.mjs [--clients 8] [--seconds 20] [--scale 10]
 *                                [--soak-minutes 10] [--soak-clients 50] [--skip-soak]
 *
 * 1. Throughput: on one embedded PostgreSQL (replay settings) with pgbench's tables at --scale,
 *    `pgbench -S -c <clients> -j 2 -T <seconds>` (point selects, closed loop) and then the tool's
 *    driver with the same number of clients running the same point select, closed loop, for the
 *    same time. Prints both rates and driver/pgbench (aim: >= 0.8). pgbench uses the simple query
 *    protocol, the driver the extended one (as the node-postgres apps it simulates do).
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

const clients = Number(argv.clients ?? 8);
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

const workload = (n) =>
  parseWorkload(
    JSON.stringify({
      apps: {
        bench: {
          clients: n,
          queries: [{ name: 'point_select', sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1', params: [{ int: [1, scale * 100_000] }] }],
        },
      },
    }),
    'bench.json',
  );

async function drive(url, n, ms, onMinute) {
  const run = await startTraffic(url, workload(n), { log: silentLogger });
  const started = Date.now();
  while (Date.now() - started < ms) {
    await sleep(Math.min(60_000, ms - (Date.now() - started)));
    onMinute?.(Date.now() - started);
  }
  const result = await run.stop();
  const q = result.apps[0].queries[0];
  return { count: q.count, errors: q.errors, seconds: (result.endedAt - result.startedAt) / 1000, p99: q.p99Ms };
}

const instance = await provision({ provider: 'embedded', settings: { max_connections: '300' } }, silentLogger);
try {
  await instance.prepareForReplay();
  const url = instance.url;
  say(`pgbench -i -s ${scale} …`);
  await $`pgbench -i -q -s ${scale} ${url}`.quiet();

  say(`pgbench -S -c ${clients} -j 2 -T ${seconds} …`);
  const out = (await $`pgbench -S -n -c ${clients} -j 2 -T ${seconds} ${url}`.quiet()).stdout;
  const pgbenchTps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);

  say(`driver: ${clients} clients, closed loop, ${seconds} s …`);
  const d = await drive(url, clients, seconds * 1000);
  const driverQps = d.count / d.seconds;
  console.log(`point selects, ${clients} clients, ${seconds} s, pgbench scale ${scale}`);
  console.log(`  pgbench -S : ${pgbenchTps.toFixed(0)} per second`);
  console.log(`  driver     : ${driverQps.toFixed(0)} per second (p99 ${d.p99} ms, errors ${JSON.stringify(d.errors)})`);
  console.log(`  ratio driver/pgbench: ${(driverQps / pgbenchTps).toFixed(2)}`);

  if (!argv['skip-soak']) {
    const rss = () => process.memoryUsage().rss;
    global.gc?.();
    const start = rss();
    console.log(`memory: ${soakClients} clients for ${soakMinutes} min; RSS at start ${mib(start)}`);
    const s = await drive(url, soakClients, soakMinutes * 60_000, (ms) => console.log(`  ${(ms / 60_000).toFixed(1)} min: RSS ${mib(rss())}`));
    const end = rss();
    console.log(`  end: RSS ${mib(end)} after ${s.count.toLocaleString('en-US')} queries; end/start ${(end / start).toFixed(2)}`);
  }
} finally {
  await instance.stop();
}
