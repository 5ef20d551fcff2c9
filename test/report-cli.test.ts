import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ReportSchema } from '../src/report/model/schema.ts';
import type { Report } from '../src/report/model/types.ts';

/**
 * `rehearse run` with --format, budgets, --baseline and a config file (rehearse.config.ts), and
 * `rehearse report` reproducing the run's files byte for byte. Runs on the shared test server
 * (url provider: a scratch database per run) with the shop fixture at 2,000 orders.
 */
const bin = path.resolve('bin/rehearse.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-report-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const migrations = path.join(work, 'migrations');
fs.mkdirSync(migrations);
// 001 rewrites order_items (~5,000 rows); 002 takes 300 ms
fs.writeFileSync(path.join(migrations, '001_bigint.sql'), 'ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint;\n');
fs.writeFileSync(path.join(migrations, '002_slow.sql'), '-- a slow one\nSELECT pg_sleep(0.3);\n');

const rehearse = (args: string[], cwd = path.resolve('.')) => execa('node', [bin, ...args], { reject: false, cwd, env: { NO_COLOR: '' } });
const source = () => ['--database-url', inject('pgUrl'), '--fixture', 'shop', '--scale', '2000', '--migrations', migrations];
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
/**
 * Last night ten times slower plus a second in every figure a regression is judged on (duration,
 * lock hold, blocking): this run's noise (test files at once on 2 cores) cannot make one regress.
 */
const slowerLastNight = (baseline: Report) => {
  const slower = (ms: number) => ms * 10 + 1000;
  for (const m of baseline.migrations) {
    for (const st of m.statements) {
      Object.assign(st, { durationMs: slower(st.durationMs), lockHeldMs: slower(st.lockHeldMs) });
      if (st.maxBlockedMs !== undefined) st.maxBlockedMs = slower(st.maxBlockedMs);
    }
  }
};

describe('rehearse run: formats, budgets, and rehearse report', () => {
  const outA = path.join(work, 'a');

  it('a failed budget exits 1, each violation naming its migration, statement and file:line; every format written', async () => {
    const res = await rehearse([
      'run',
      ...source(),
      '--format',
      'terminal,md,html,junit',
      '--out',
      outA,
      '--max-rewrite-rows',
      '1000',
      '--max-statement',
      '200ms',
      '--max-lock-hold',
      'off',
    ]);
    expect(res.stderr).not.toMatch(/internal error/);
    expect(res.exitCode).toBe(1);
    expect(fs.readdirSync(outA).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    const report = readJson(path.join(outA, 'report.json'));
    ReportSchema.parse(report);
    expect(report.run).toMatchObject({ status: 'passed', exitCode: 1 });
    expect(report.verdict!.status).toBe('fail');
    const byName = Object.fromEntries(report.budgets!.results.map((b) => [b.name, b]));
    expect(byName.maxLockHold).toBeUndefined(); // switched off
    expect(byName.maxRewriteRows!.violations).toEqual([
      expect.objectContaining({ migrationId: '001', statementIndex: 0, file: path.join(migrations, '001_bigint.sql'), line: 1 }),
    ]);
    expect(byName.maxRewriteRows!.violations[0]!.message).toMatch(/rewrote order_items \([\d,]+ rows\), over 1,000 rows/);
    expect(byName.maxStatement!.violations).toEqual([expect.objectContaining({ migrationId: '002', statementIndex: 0, line: 2 })]);
    expect(report.output).toEqual({ dir: outA, formats: ['json', 'terminal', 'md', 'html', 'junit'] });
    // the summary, then the budgets and the verdict; no colours off a TTY
    expect(res.stdout).toMatch(/2 applied, 0 failed, 0 skipped/);
    expect(res.stdout).toMatch(/budgets: 1 passed, 2 failed, 3 not applicable/);
    expect(res.stdout).toMatch(
      /✗ maxStatement: no statement runs longer than 200 ms\n {4}.*002_slow\.sql:2: 002 statement 1 \(SELECT pg_sleep\(0\.3\)\) ran 3\d\d ms, over 200 ms/,
    );
    expect(res.stdout).toMatch(/verdict: fail$/m);
    expect(res.stdout).not.toContain('\x1b[');
    expect(res.stderr).toMatch(/report: .*report\.json, .*report\.md, .*report\.html, .*junit\.xml/);
    expect(fs.readFileSync(path.join(outA, 'junit.xml'), 'utf8')).toMatch(
      /<testcase classname="pg-rehearse\.budgets" name="maxStatement" time="0\.000">\n {6}<failure/,
    );
    expect(fs.readFileSync(path.join(outA, 'report.md'), 'utf8')).toMatch(/^## ❌ pg-rehearse: fail/);
  });

  it('rehearse report reproduces the files the run wrote, byte for byte', async () => {
    const outB = path.join(work, 'b');
    const res = await rehearse(['report', path.join(outA, 'report.json'), '--format', 'md,html,junit', '--out', outB]);
    expect(res.exitCode).toBe(0);
    expect(fs.readdirSync(outB).sort()).toEqual(['junit.xml', 'report.html', 'report.md']);
    for (const f of fs.readdirSync(outB)) expect(fs.readFileSync(path.join(outB, f)).equals(fs.readFileSync(path.join(outA, f))), f).toBe(true);
    // without --format: the run's own formats, the summary printed
    const outC = path.join(work, 'c');
    const again = await rehearse(['report', path.join(outA, 'report.json'), '--out', outC]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/verdict: fail/);
    expect(fs.readdirSync(outC).sort()).toEqual(['junit.xml', 'report.html', 'report.md']);
  });

  it('rehearse.config.ts: budgets and formats from the file, flags override it; --json --quiet; --baseline without regression', async () => {
    const dir = path.join(work, 'cfg');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'rehearse.config.ts'),
      `const config: Record<string, unknown> = {\n  databaseUrl: ${JSON.stringify(inject('pgUrl'))},\n  fixture: 'shop',\n  scale: 2000,\n  migrations: ${JSON.stringify(migrations)},\n  format: ['md'],\n  budgets: { maxRewriteRows: 1000, maxStatement: '200ms' },\n};\nexport default config;\n`,
    );
    // last night was far slower: no regression
    const baseline = readJson(path.join(outA, 'report.json'));
    slowerLastNight(baseline);
    fs.writeFileSync(path.join(dir, 'last.json'), JSON.stringify(baseline));
    const out = path.join(dir, 'out');
    const res = await rehearse(
      ['run', '--max-rewrite-rows', 'off', '--max-statement', '10s', '--baseline', 'last.json', '--json', '--quiet', '--out', out],
      dir,
    );
    expect(res.stderr).toBe('');
    expect(res.exitCode).toBe(0);
    expect(res.stdout + '\n').toBe(fs.readFileSync(path.join(out, 'report.json'), 'utf8')); // execa strips the last newline
    const report = JSON.parse(res.stdout) as Report;
    expect(report.budgets!.results.map((b) => b.name)).not.toContain('maxRewriteRows');
    expect(report.budgets!.results.find((b) => b.name === 'maxStatement')).toMatchObject({ limit: 10_000, ok: true });
    expect(report.comparison).toMatchObject({ regressions: 0, baseline: { file: 'last.json' } });
    expect(report.verdict).toEqual({ status: 'pass', reasons: [] });
    expect(fs.readdirSync(out).sort()).toEqual(['report.json', 'report.md']);
  });

  it('--baseline: a statement slower than last night exits 1', async () => {
    const baseline = readJson(path.join(outA, 'report.json'));
    // last night: 002's statement 10× faster, every other figure far slower
    slowerLastNight(baseline);
    const slow = baseline.migrations.find((m) => m.id === '002')!.statements[0]!;
    const measured = readJson(path.join(outA, 'report.json')).migrations.find((m) => m.id === '002')!.statements[0]!;
    Object.assign(slow, { durationMs: measured.durationMs / 10 });
    const file = path.join(work, 'fast-last-night.json');
    fs.writeFileSync(file, JSON.stringify(baseline));
    const out = path.join(work, 'regressed');
    const res = await rehearse(['run', ...source(), '--no-budgets', '--baseline', file, '--out', out]);
    expect(res.exitCode).toBe(1);
    const report = readJson(path.join(out, 'report.json'));
    expect(report.budgets).toEqual({ results: [] });
    expect(report.comparison!.statements.filter((s) => s.regression).map((s) => s.migrationId)).toEqual(['002']);
    expect(report.verdict!.reasons).toEqual([expect.stringMatching(/^1 regression against the baseline .*fast-last-night\.json$/)]);
    expect(res.stdout).toMatch(/baseline .*fast-last-night\.json: 1 regression/);
  });

  it('usage errors exit 2 before any server starts', async () => {
    const bad = await rehearse(['run', ...source(), '--format', 'md,pdf']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--format: unknown format "pdf"/);
    const missing = await rehearse(['run', ...source(), '--baseline', path.join(work, 'nope.json')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: cannot be read/);
    const cfg = path.join(work, 'bad-budget.yaml');
    fs.writeFileSync(cfg, `migrations: ${migrations}\nbudgets:\n  maxLockHould: 2s\n`);
    const unknown = await rehearse(['run', '--config', cfg]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/bad-budget\.yaml: budgets: unknown key "maxLockHould"/);
    const skip = await rehearse(['run', ...source(), '--skip-budget', 'maxNothing']);
    expect(skip.exitCode).toBe(2);
    expect(skip.stderr).toMatch(/--skip-budget maxNothing: no such budget/);
  });
});
