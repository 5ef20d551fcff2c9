#!/usr/bin/env zx
/**
 * How close predictions at production size come to the truth, and whether their intervals hold
 * (issue 24).
 *
 *   zx scripts/bench/predict.mjs [--rows 40000] [--scale-ups 20,100] [--shared-buffers 32MB] [--max-wal-size 128MB]
 *                                [--fractions 0.02,0.25,0.5] [--verbose]
 *
 * One embedded PostgreSQL with the replay settings and PostgreSQL's defaults, except shared_buffers
 * and max_wal_size, lowered (32 MB, 128 MB) so the boundaries are crossed at sizes a benchmark can
 * afford: the production-size tables (20× and 100× the rehearsal's) exceed shared_buffers and the
 * full-table UPDATE's WAL exceeds max_wal_size's checkpoint distance; the rehearsal's table fits.
 * Table t (bigint key, int, text, timestamptz columns) at --rows for the rehearsal and at each
 * scale-up for production. Thirteen migrations: twelve data-dependent statement kinds (rewrites by
 * type change, volatile default, STORED generated column and CLUSTER; UPDATE and DELETE backfills;
 * index builds on int, text, two columns, and a UNIQUE constraint's; VALIDATE; SET NOT NULL) and a
 * NOT VALID CHECK (constant). Per scale-up:
 *   1. `rehearse stats` of the production-size database (rows, bytes, settings), before anything runs;
 *   2. `rehearse run --predict-for` that file on a rehearsal-size table loaded by the tool into its
 *      own embedded server (`--dump` a plain SQL file; production's shared_buffers and max_wal_size
 *      as --pg-setting), which it may restart with production's settings scaled to each calibration
 *      sample (calibration at --fractions: predictFractions in a config file; 2 % twice, 25 %, 50 %,
 *      the whole table; then 50 % and the whole table twice each on the scaled settings);
 *   3. `rehearse run` on the production-size database: the truth, on this server, in the same run;
 * printing per statement: predicted, interval, truth, error, trust; and the totals: median |error|
 * (all), worst |error| of the trusted predictions, the share of truths inside their interval
 * against the stated coverage. Acceptance: median ≤ 20 %, worst trusted ≤ 35 %, coverage ≥ stated,
 * on every scale-up. Every server it starts is stopped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { provision } = await import('../../src/provision/index.ts');
const { silentLogger } = await import('../../src/core/log.ts');
const { collectStats } = await import('../../src/stats/index.ts');

const rows = Number(argv.rows ?? 40_000);
const scaleUps = String(argv['scale-ups'] ?? '20,100')
  .split(',')
  .map(Number);
const sharedBuffers = String(argv['shared-buffers'] ?? '32MB');
const maxWalSize = String(argv['max-wal-size'] ?? '128MB');
// a calibration point at 2 % (twice) beside 25 % and 50 %: the sizes span 25×, which pins each
// statement's fixed part (at tens of thousands of rows a commit's fsync is a good share of the time)
const fractions = String(argv.fractions ?? '0.02,0.25,0.5')
  .split(',')
  .map(Number);
const say = (m) => process.stderr.write(`${m}\n`);
const out = (m) => console.log(m);

const MIGRATIONS = {
  '001_n_bigint.sql': 'ALTER TABLE t ALTER COLUMN n TYPE bigint;',
  '002_volatile_default.sql': 'ALTER TABLE t ADD COLUMN stamp timestamptz DEFAULT clock_timestamp();',
  '003_update_backfill.sql': 'UPDATE t SET flag = n % 7;',
  '004_delete_backfill.sql': 'DELETE FROM t WHERE id % 10 = 0;',
  '005_cluster.sql': 'CLUSTER t USING t_pkey;',
  '006_generated_stored.sql': 'ALTER TABLE t ADD COLUMN n2 bigint GENERATED ALWAYS AS (n * 2) STORED;',
  '007_index_int.sql': 'CREATE INDEX t_n_idx ON t (n);',
  '008_index_text.sql': 'CREATE INDEX t_note_idx ON t (note);',
  '009_index_two_columns.sql': 'CREATE INDEX t_flag_created_idx ON t (flag, created);',
  '010_unique_text.sql': 'ALTER TABLE t ADD CONSTRAINT t_note_key UNIQUE (note);',
  '011_check_not_valid.sql': 'ALTER TABLE t ADD CONSTRAINT n_nonneg CHECK (n >= 0) NOT VALID;',
  '012_validate.sql': 'ALTER TABLE t VALIDATE CONSTRAINT n_nonneg;',
  '013_note_not_null.sql': 'ALTER TABLE t ALTER COLUMN note SET NOT NULL;',
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-bench-predict-'));
const migrations = path.join(work, 'migrations');
fs.mkdirSync(migrations);
for (const [name, text] of Object.entries(MIGRATIONS)) fs.writeFileSync(path.join(migrations, name), `${text}\n`);

const bin = path.resolve('bin/rehearse.js');
const dbUrl = (base, name) => {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
};
const f = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const pct = (e) => `${e >= 0 ? '+' : ''}${(e * 100).toFixed(0)} %`;
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : Number.NaN;
};
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

const started = Date.now();
const instance = await provision({ provider: 'embedded', settings: { shared_buffers: sharedBuffers, max_wal_size: maxWalSize } }, silentLogger);
const verdicts = [];
try {
  await instance.prepareForReplay();
  const base = instance.url;
  const psql = (url, sql) => $`psql ${url} -v ON_ERROR_STOP=1 -qXc ${sql}`.quiet();
  const settings = (
    await $`psql ${base} -AtXc ${"SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'maintenance_work_mem', 'max_parallel_maintenance_workers', 'effective_cache_size', 'full_page_writes')"}`.quiet()
  ).stdout.trim();
  out(
    `server: PostgreSQL ${instance.version ?? ''} (embedded), replay settings; lowered for this benchmark: shared_buffers=${sharedBuffers}, max_wal_size=${maxWalSize} (PostgreSQL's defaults otherwise)`,
  );
  out(`  in force: ${settings}`);
  const tableSql = (n) =>
    `CREATE TABLE t (id bigint PRIMARY KEY, n int NOT NULL, flag int, note text, created timestamptz NOT NULL, filler text);
     INSERT INTO t SELECT i, (i * 7919) % 1000003, i % 5, md5(i::text), timestamptz '2020-01-01' + i * interval '1 second', repeat('x', 40) FROM generate_series(1::bigint, ${n}) i;`;
  const makeTable = async (name, n) => {
    await psql(base, `CREATE DATABASE ${name}`);
    await psql(dbUrl(base, name), tableSql(n));
    await psql(dbUrl(base, name), 'VACUUM ANALYZE t');
    await psql(dbUrl(base, name), 'CHECKPOINT');
  };
  // the rehearsal on the tool's own embedded server (the same settings as production's here), which
  // it may restart with production's settings scaled to each calibration sample; the truth on this one
  const rehearsalSql = path.join(work, 'rehearsal.sql');
  fs.writeFileSync(rehearsalSql, `${tableSql(rows)}\nVACUUM ANALYZE t;\n`);
  const own = ['--no-cache', '--pg-setting', `shared_buffers=${sharedBuffers}`, '--pg-setting', `max_wal_size=${maxWalSize}`];
  const run = async (db, extra, dir) => {
    const t0 = Date.now();
    const where = db === null ? ['--dump', rehearsalSql, ...own] : ['--database-url', dbUrl(base, db), '--use-existing-database'];
    const res = await $`node ${bin} run ${where} --migrations ${migrations} --no-budgets --quiet --format json --out ${dir} ${extra}`.nothrow().quiet();
    if (res.exitCode !== 0) {
      say(res.stderr);
      throw new Error(`rehearse run on ${db} exited ${res.exitCode}`);
    }
    say(`  ${db ?? 'own embedded server'}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  };

  for (const k of scaleUps) {
    const full = `bench_full_${k}`;
    say(`${k}×: loading ${(rows * k).toLocaleString('en-US')} rows …`);
    await makeTable(full, rows * k);
    await $`sync`;
    const statsFile = path.join(work, `prod-stats-${k}.json`);
    fs.writeFileSync(statsFile, JSON.stringify(await collectStats(dbUrl(base, full))));
    say(`${k}×: rehearse run --predict-for on ${rows} rows …`);
    const config = path.join(work, `config-${k}.json`);
    fs.writeFileSync(config, JSON.stringify({ predictFractions: fractions }));
    const predicted = await run(null, ['--predict-for', statsFile, '--config', config], path.join(work, `predicted-${k}`));
    say(`${k}×: rehearse run on ${rows * k} rows (the truth) …`);
    const truth = await run(full, [], path.join(work, `truth-${k}`));
    await psql(base, `DROP DATABASE ${full}`);

    const lines = [];
    for (const m of predicted.migrations) {
      for (const s of m.statements) {
        const p = s.predicted;
        const t = truth.migrations.find((x) => x.id === m.id)?.statements.find((x) => x.index === s.index);
        if (!p || !t || p.model === 'constant') continue;
        lines.push({ id: m.id, p, rehearsal: s.durationMs, truth: t.durationMs, error: (p.durationMs - t.durationMs) / t.durationMs });
      }
    }
    const coverage = lines.find((l) => l.p.coverage)?.p.coverage ?? 0.8;
    out('');
    out(
      `${k}×: ${(rows * k).toLocaleString('en-US')} rows predicted from a rehearsal of ${rows.toLocaleString('en-US')} (calibration at ${predicted.prediction.fractions.map((x) => `${x * 100} %`).join(', ')} of it); intervals stated at ${coverage * 100} %`,
    );
    out(
      [
        'migration'.padEnd(26),
        'model'.padEnd(22),
        'rehearsal'.padStart(9),
        'predicted'.padStart(10),
        'interval'.padStart(19),
        'truth'.padStart(9),
        'error'.padStart(7),
        'in',
        ' trust',
      ].join(' '),
    );
    for (const l of lines) {
      const inside = l.truth >= l.p.low && l.truth <= l.p.high;
      const crossed = (l.p.regimes ?? []).map((r) => `${r.regime}${r.calibrated ? ' (calibrated)' : r.material ? '' : ' (widened)'}`);
      out(
        [
          l.id.slice(0, 26).padEnd(26),
          l.p.model.padEnd(22),
          f(l.rehearsal).padStart(9),
          f(l.p.durationMs).padStart(10),
          `${f(l.p.low)}–${f(l.p.high)}`.padStart(19),
          f(l.truth).padStart(9),
          pct(l.error).padStart(7),
          inside ? 'y ' : 'n ',
          l.p.trust ? ` untrusted: ${l.p.trust.reasons.map((r) => r.replace(/:.*$/, '')).join('; ')}` : ' trusted',
          crossed.length ? `  [regimes: ${crossed.join(', ')}]` : '',
        ].join(' '),
      );
    }
    const abs = lines.map((l) => Math.abs(l.error));
    const trusted = lines.filter((l) => !l.p.trust).map((l) => Math.abs(l.error));
    const inside = lines.filter((l) => l.truth >= l.p.low && l.truth <= l.p.high).length;
    const med = median(abs);
    const worst = trusted.length ? Math.max(...trusted) : 0;
    const share = lines.length ? inside / lines.length : 0;
    const ok = med <= 0.2 && worst <= 0.35 && share >= coverage;
    verdicts.push({ k, ok });
    out(
      `${k}×: median |error| ${(med * 100).toFixed(0)} % (aim ≤ 20 %), worst |error| of ${trusted.length} trusted ${trusted.length ? `${(worst * 100).toFixed(0)} %` : '— (none trusted: every prediction names why)'} (aim ≤ 35 %), truths inside the interval ${inside}/${lines.length} = ${(share * 100).toFixed(0)} % (stated ${coverage * 100} %): ${ok ? 'PASS' : 'FAIL'}`,
    );
    out(`   load average now: ${load()} on ${os.availableParallelism()} cores`);
    for (const n of predicted.prediction.notes.filter((x) => x.startsWith('calibrated across') || x.includes('own settings'))) out(`   ${n}`);
    if (argv.verbose) for (const l of lines) out(`   ${l.id} basis ${l.p.basis.map((b) => `${b.rows}: ${Math.round(b.ms)} ms`).join(', ')}`);
  }
  out('');
  out(
    `all scale-ups: ${verdicts.every((v) => v.ok) ? 'PASS' : 'FAIL'} (${verdicts.map((v) => `${v.k}× ${v.ok ? 'pass' : 'fail'}`).join(', ')}); ${((Date.now() - started) / 60000).toFixed(1)} min; load average ${load()}`,
  );
} finally {
  await instance.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
