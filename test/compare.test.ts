import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReports, DEFAULT_REGRESSION } from '../src/report/policy/compare.ts';
import { serializeReport } from '../src/report/io/write.ts';
import type { Report } from '../src/report/model/types.ts';
import { exampleReport, statementOf, trafficReport } from './fixtures-reports/reports.ts';

const cmp = (a: Report, b: Report) => compareReports(a, b, { ...DEFAULT_REGRESSION, baselineFile: 'old.json' });

describe('compare', () => {
  it('identical reports: no regression', () => {
    const c = cmp(exampleReport(), exampleReport());
    expect(c.regressions).toBe(0);
    expect(c.statements).toHaveLength(18);
    expect(c.statements.every((s) => !s.regression && s.durationMs.deltaMs === 0)).toBe(true);
    expect(c).toMatchObject({ newFailures: [], added: [], removed: [], thresholdPct: 50, minDeltaMs: 25 });
  });

  it('one statement twice as slow is flagged, matched by migration id + statement index', () => {
    const after = exampleReport();
    const s = statementOf(after, '003');
    const before = s.durationMs;
    s.durationMs *= 2;
    const c = cmp(exampleReport(), after);
    expect(c.regressions).toBe(1);
    const flagged = c.statements.filter((x) => x.regression);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({
      migrationId: '003',
      statementIndex: 0,
      line: 3,
      durationMs: { before, after: before * 2, deltaPct: 100, regression: true },
      lockHeldMs: { regression: false },
    });
  });

  it('small absolute changes are noise: 0.7 ms → 1.4 ms is not a regression', () => {
    const after = exampleReport();
    statementOf(after, '001').durationMs *= 2;
    expect(cmp(exampleReport(), after).regressions).toBe(0);
  });

  it('lock hold, blocking and an app query p99 regress too', () => {
    const after = trafficReport();
    statementOf(after, '004').lockHeldMs += 500;
    Object.assign(statementOf(after, '009'), { maxBlockedMs: 4000 });
    after.workload!.apps[0]!.queries[0]!.p99Ms = 900;
    const c = cmp(trafficReport(), after);
    expect(c.statements.filter((s) => s.regression).map((s) => s.migrationId)).toEqual(['004', '009']);
    expect(statementOf(after, '009').maxBlockedMs).toBe(4000);
    expect(c.statements.find((s) => s.migrationId === '009')!.maxBlockedMs).toMatchObject({ before: 1500, after: 4000, regression: true });
    expect(c.queries.find((q) => q.query === 'get_order')!.p99Ms).toMatchObject({ before: 310, after: 900, regression: true });
    expect(c.regressions).toBe(3);
  });

  it('new failures: a failing statement, a failing budget, a compatibility cell that passed before', () => {
    const before = trafficReport();
    before.budgets = { results: [{ name: 'maxStatement', description: 'd', limit: 1000, unit: 'ms', ok: true, violations: [] }] };
    const after = structuredClone(before);
    const s = after.migrations.find((m) => m.id === '010')!.statements[0]!;
    s.error = { sqlstate: '23514', message: 'check constraint is violated by some row', file: s.file, line: s.line };
    after.budgets = {
      results: [
        {
          name: 'maxStatement',
          description: 'd',
          limit: 1000,
          unit: 'ms',
          ok: false,
          violations: [{ migrationId: '009', statementIndex: 0, file: 'f.sql', line: 3, value: 2000, message: '009 statement 1 ran 2000 ms' }],
        },
      ],
    };
    const cell = after.compatibility!.cells.find((c) => c.state === '005' && c.app === 'old')!;
    Object.assign(cell, { ok: false, failures: [{ query: 'get_order', sqlstate: '42P01', message: 'relation "orders" does not exist' }] });
    const c = cmp(before, after);
    expect(c.newFailures.map((f) => [f.kind, f.migrationId])).toEqual([
      ['statement', '010'],
      ['budget', '009'],
      ['compatibility', '005'],
    ]);
    expect(c.regressions).toBe(3);
  });

  it('statements only in one report are listed, not regressions', () => {
    const after = exampleReport();
    after.migrations.pop();
    after.migrations.push({ ...after.migrations[0]!, id: '013', name: 'new_one' });
    const c = cmp(exampleReport(), after);
    expect(c.added).toEqual([{ migrationId: '013', statementIndex: 0 }]);
    expect(c.removed).toEqual([0, 1, 2].map((i) => ({ migrationId: '012', statementIndex: i })));
    expect(c.regressions).toBe(0);
  });
});

describe('rehearse compare OLD.json NEW.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-compare-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, r: Report) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, serializeReport(r));
    return f;
  };
  const run = (args: string[]) => execa('node', [path.resolve('bin/rehearse.js'), 'compare', ...args], { reject: false });

  it('exits 0 for identical reports, 1 when a statement doubled, 2 for a file that is not a report', async () => {
    const old = write('old.json', exampleReport());
    const same = await run([old, write('same.json', exampleReport())]);
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toMatch(/0 regressions/);
    expect(same.stdout).not.toContain('\x1b['); // not a TTY: no colours

    const slower = exampleReport();
    statementOf(slower, '003').durationMs *= 2;
    const res = await run([old, write('slower.json', slower)]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(
      /✗ 003 statement 1 fixtures\/shop\/migrations\/003_order_items_quantity_bigint\.up\.sql:3: duration \d+ ms → \d+ ms \(\+100 %\)/,
    );
    expect(res.stdout).toMatch(/1 regression /);

    const json = await run([old, path.join(dir, 'slower.json'), '--json']);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ regressions: 1, baseline: { file: old } });

    // a higher threshold: not a regression any more
    expect((await run([old, path.join(dir, 'slower.json'), '--regression-threshold', '150%'])).exitCode).toBe(0);

    fs.writeFileSync(path.join(dir, 'junk.json'), '{"hello": 1}');
    const bad = await run([old, path.join(dir, 'junk.json')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/junk\.json: not a pg-rehearse report\.json/);
  });
});
