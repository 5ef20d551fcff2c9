import { beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../src/replay/index.ts';
import { DEFAULT_BUDGETS, emptyReport, evaluateBudgets, reportMigrations, summarize } from '../src/report/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';
import { migrationOf } from './helpers/migrations.ts';

let url: string;

beforeAll(async () => {
  url = await freshDatabase('truncate');
  await sql(url, 'CREATE TABLE events (id int PRIMARY KEY, v int); INSERT INTO events SELECT g, g FROM generate_series(1, 150000) g; ANALYZE;');
});

describe('TRUNCATE is not a rewrite (issue 15)', () => {
  it('new, empty storage is reported as truncated; maxRewriteRows does not fail it', async () => {
    const m = migrationOf('001', ['TRUNCATE events']);
    m.up.statements[0]!.kind = 'TruncateStmt';
    const result = await replay({ url, migrations: [m], log: silentLogger });
    expect(result.ok).toBe(true);
    const t = result.migrations[0]!.statements[0]!;
    expect(t.rewrites).toEqual([]);
    // the table and its primary key index got new relfilenodes: truncated, and said so
    expect(t.truncated!.map((r) => r.relation).sort()).toEqual(['events', 'events_pkey']);
    for (const r of t.truncated!) expect(r.relfilenodeAfter).not.toBe(r.relfilenodeBefore);

    const report = emptyReport([], 'test', Date.now());
    report.run.status = 'passed';
    report.dataset = { source: { kind: 'none' }, loadMs: 0, tables: [{ name: 'public.events', rows: 150_000, rowsEstimated: false, bytes: 0 }] };
    report.migrations = reportMigrations(result.migrations);
    report.summary = summarize(report.migrations);
    expect(report.summary.rewrites).toBe(0);
    const budget = evaluateBudgets(report, DEFAULT_BUDGETS).results.find((b) => b.name === 'maxRewriteRows')!;
    expect(budget.ok).toBe(true);
  });
});
