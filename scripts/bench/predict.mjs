#!/usr/bin/env zx
/**
 * How close predictions at production size come to the truth.
 *
 *   zx scripts/bench/predict.mjs [--full-scale 50] [--rehearsal-scale 5] [--keep-going]
 *
 * One embedded PostgreSQL (replay settings). pgbench's tables twice: at --full-scale (50 = 5M rows
 * of pgbench_accounts) and at --rehearsal-scale (5 = 500k rows, 10 %). Six migrations on
 * pgbench_accounts: a full-table UPDATE, ALTER COLUMN TYPE int → bigint (rewrite), CREATE INDEX,
 * CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT, SET NOT NULL.
 *   1. `rehearse run --predict-for` on the 10 % database, with a hand-written statistics file
 *      giving the full size (calibration replays at 25 % and 50 % of it: 2.5 % and 5 %);
 *   2. `rehearse run` on the full database, in the same run, same server;
 * then prints per statement: measured at 10 %, predicted at full size (interval), measured at full
 * size, and the error; the median |error| and the worst. Aim: median ≤ 25 %, none worse than 50 %.
 * Needs pgbench (Debian: postgresql-15 or postgresql-contrib). Every server it starts is stopped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { provision } = await import('../../src/provision/index.ts');
const { silentLogger } = await import('../../src/core/log.ts');

const fullScale = Number(argv['full-scale'] ?? 50);
const rehearsalScale = Number(argv['rehearsal-scale'] ?? 5);
const say = (m) => process.stderr.write(`${m}\n`);

if (!(await which('pgbench', { nothrow: true }))) {
  say('pgbench not found: apt-get install postgresql-15 (or postgresql-contrib)');
  process.exit(3);
}

const MIGRATIONS = {
  '001_update_all.sql': 'UPDATE pgbench_accounts SET abalance = (aid::bigint * 7919) % 1000003;',
  '002_abalance_bigint.sql': 'ALTER TABLE pgbench_accounts ALTER COLUMN abalance TYPE bigint;',
  '003_index_abalance.sql': 'CREATE INDEX accounts_abalance_idx ON pgbench_accounts (abalance);',
  '004_index_bid_abalance_concurrently.sql': 'CREATE INDEX CONCURRENTLY accounts_bid_abalance_idx ON pgbench_accounts (bid, abalance);',
  '005_check_not_valid.sql': 'ALTER TABLE pgbench_accounts ADD CONSTRAINT abalance_nonneg CHECK (abalance >= 0) NOT VALID;',
  '006_validate.sql': 'ALTER TABLE pgbench_accounts VALIDATE CONSTRAINT abalance_nonneg;',
  '007_filler_not_null.sql': 'ALTER TABLE pgbench_accounts ALTER COLUMN filler SET NOT NULL;',
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-bench-predict-'));
const migrations = path.join(work, 'migrations');
fs.mkdirSync(migrations);
for (const [name, text] of Object.entries(MIGRATIONS)) fs.writeFileSync(path.join(migrations, name), text + '\n');
const fullRows = fullScale * 100_000;
const statsFile = path.join(work, 'prod-stats.json');
fs.writeFileSync(statsFile, JSON.stringify({ tables: { 'public.pgbench_accounts': { rows: fullRows } } }));

const bin = path.resolve('bin/rehearse.js');
const dbUrl = (base, name) => {
  const u = new URL(base);
  u.pathname = '/' + name;
  return u.toString();
};

const instance = await provision({ provider: 'embedded', settings: {} }, silentLogger);
try {
  await instance.prepareForReplay();
  const base = instance.url;
  for (const [name, scale] of [
    ['bench_rehearsal', rehearsalScale],
    ['bench_full', fullScale],
  ]) {
    await $`psql ${base} -qc ${`CREATE DATABASE ${name}`}`.quiet();
    say(`pgbench -i -s ${scale} (${(scale * 100_000).toLocaleString('en-US')} rows) …`);
    await $`pgbench -i -q -s ${scale} ${dbUrl(base, name)}`.quiet();
    await $`psql ${dbUrl(base, name)} -qc CHECKPOINT`.quiet();
  }
  // the full database's pages are still being written back by the OS: let it finish first
  await $`sync`;

  const run = async (db, extra, out) => {
    const started = Date.now();
    const res =
      await $`node ${bin} run --database-url ${dbUrl(base, db)} --use-existing-database --migrations ${migrations} --no-budgets --quiet --format json --out ${out} ${extra}`
        .nothrow()
        .quiet();
    if (res.exitCode !== 0) {
      say(res.stderr);
      throw new Error(`rehearse run on ${db} exited ${res.exitCode}`);
    }
    say(`  ${db}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  };
  say(`rehearse run --predict-for on ${rehearsalScale * 100_000} rows (calibration at 25 % and 50 % of them) …`);
  const predicted = await run('bench_rehearsal', ['--predict-for', statsFile], path.join(work, 'predicted'));
  say(`rehearse run on the full ${fullRows} rows …`);
  const full = await run('bench_full', [], path.join(work, 'full'));

  const rows = [];
  for (const m of predicted.migrations) {
    for (const s of m.statements) {
      const p = s.predicted;
      const truth = full.migrations.find((x) => x.id === m.id)?.statements.find((x) => x.index === s.index);
      if (!p || !truth || p.model === 'constant') continue;
      const error = (p.durationMs - truth.durationMs) / truth.durationMs;
      rows.push({ id: m.id, sql: s.sql, model: p.model, rehearsal: s.durationMs, p, truth: truth.durationMs, error });
    }
  }
  const f = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
  const pct = (e) => `${e >= 0 ? '+' : ''}${(e * 100).toFixed(0)} %`;
  console.log(
    `predictions for ${fullRows.toLocaleString('en-US')} rows from a rehearsal at ${((rehearsalScale / fullScale) * 100).toFixed(0)} % (calibration at ${predicted.prediction.fractions.map((x) => `${(((x * rehearsalScale) / fullScale) * 100).toFixed(1)} %`).join(', ')})`,
  );
  console.log(
    [
      'migration'.padEnd(40),
      'model'.padEnd(24),
      `at ${((rehearsalScale / fullScale) * 100).toFixed(0)} %`.padStart(9),
      'predicted'.padStart(10),
      'interval'.padStart(21),
      'measured'.padStart(10),
      'error'.padStart(7),
      ' trust',
    ].join(' '),
  );
  for (const r of rows) {
    console.log(
      [
        r.id.padEnd(40),
        r.model.padEnd(24),
        f(r.rehearsal).padStart(9),
        f(r.p.durationMs).padStart(10),
        `${f(r.p.low)}–${f(r.p.high)}`.padStart(21),
        f(r.truth).padStart(10),
        pct(r.error).padStart(7),
        r.p.trust ? ` untrusted: ${r.p.trust.reasons.join('; ')}` : ' ok',
      ].join(' '),
    );
  }
  console.log('basis (rows: ms):');
  for (const r of rows) console.log(`  ${r.id} ${r.p.basis.map((b) => `${b.rows}: ${Math.round(b.ms)}`).join(', ')}`);
  const abs = rows.map((r) => Math.abs(r.error)).sort((a, b) => a - b);
  const median = abs.length ? (abs.length % 2 ? abs[(abs.length - 1) / 2] : (abs[abs.length / 2 - 1] + abs[abs.length / 2]) / 2) : NaN;
  const inside = rows.filter((r) => r.truth >= r.p.low && r.truth <= r.p.high).length;
  console.log(
    `median |error| ${(median * 100).toFixed(0)} % (aim ≤ 25 %), worst ${(abs.at(-1) * 100).toFixed(0)} % (aim ≤ 50 %), measured inside the interval ${inside}/${rows.length}`,
  );
  console.log(
    `load average during the run: ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${os.availableParallelism()} cores`,
  );
} finally {
  await instance.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
