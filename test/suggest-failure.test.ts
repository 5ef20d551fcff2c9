import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/log.ts';
import { rehearse } from '../src/rehearsal.ts';
import { DEFAULT_BUDGETS, finalizeReport, type Report } from '../src/report/index.ts';
import { renderHtml } from '../src/report/render/html.ts';
import { renderMarkdown } from '../src/report/render/markdown.ts';
import { renderTerminal } from '../src/report/render/terminal.ts';
import { renderVerdictLines } from '../src/report/render/verdict.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { rehearseSuggestion } from '../src/suggest/index.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/**
 * Issue 25: a rewrite whose rehearsal fails is reported as a failure, first, in every format. The
 * backfill reads another table (not mechanical); the SET NOT NULL after it is rewritten into
 * NOT VALID + VALIDATE, which splits the migration's one transaction: the old app's inserts
 * (without the new column) land after the backfill committed, and VALIDATE fails with 23514.
 */
const DATA =
  "CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL UNIQUE);\nINSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 10) g;\n" +
  "CREATE TABLE events (id bigserial PRIMARY KEY, account_name text NOT NULL);\nINSERT INTO events (account_name) SELECT 'a' || (1 + g % 10) FROM generate_series(1, 2000) g;\nVACUUM ANALYZE;\n";

// the pg_sleep stands for the rest of a long migration: a window of a second in which the app writes
const MIGRATION =
  'ALTER TABLE events ADD COLUMN account_id int;\n' +
  'UPDATE events e SET account_id = a.id FROM accounts a WHERE a.name = e.account_name;\n' +
  'SELECT pg_sleep(1);\n' +
  'ALTER TABLE events ALTER COLUMN account_id SET NOT NULL;\n';

const WORKLOAD = [
  'apps:',
  '  old:',
  '    role: old',
  '    clients: 2',
  '    queries:',
  '      - name: add_event',
  "        sql: INSERT INTO events (account_name) VALUES ('a' || $1)",
  '        params: [{ int: [1, 10] }]',
  '        rate: 20',
].join('\n');

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-suggest-failure-'));
let report: Report;

beforeAll(async () => {
  const dump = path.join(filesIn({ 'data.sql': DATA }), 'data.sql');
  const workload = path.join(filesIn({ 'w.yaml': `${WORKLOAD}\n` }), 'w.yaml');
  const plan = {
    ...planOn(filesIn({ '001_account.sql': MIGRATION })),
    load: { kind: 'dump' as const, path: dump },
    traffic: { workload, sampleMs: 10, warmupMs: 300, cooldownMs: 200 },
  };
  ({ report } = await rehearse(plan, silentLogger));
  expect(report.run.status).toBe('passed');
  const suggestion = await rehearseSuggestion(plan, report, out, silentLogger, rehearse);
  expect(suggestion).not.toBeNull();
  report.suggestion = suggestion!;
  finalizeReport(report, { budgets: DEFAULT_BUDGETS });
  ReportSchema.parse(report);
}, 180_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('a backfill reading another table: the advice says what the app must do', () => {
  it('full-table-update: not mechanical, the app must write the column; set-not-null-scan: warns that VALIDATE fails once the steps commit one by one', () => {
    const fill = report.findings!.find((f) => f.rule === 'full-table-update')!;
    expect(fill.mechanical).toBe(false);
    expect(fill.advice).toMatch(/reads other tables.*the app must write account_id itself/);
    const notNull = report.findings!.find((f) => f.rule === 'set-not-null-scan')!;
    expect(notNull.advice).toMatch(/The backfill at line 2 reads other tables: .*VALIDATE fails \(23514\)/);
  });
});

describe('a failed rehearsal of the suggestion leads every format', () => {
  it('JSON: suggestion.failure first — the rewritten statement, file:line, SQLSTATE, message, the app writes that caused it; the after figures partial', () => {
    const s = report.suggestion!;
    expect(s.status).toBe('failed');
    expect(Object.keys(s)[0]).toBe('failure');
    expect(s.failure).toMatchObject({ sqlstate: '23514', rule: 'set-not-null-scan', statement: expect.stringMatching(/VALIDATE CONSTRAINT/) });
    expect(s.failure!.file).toMatch(/suggested.*001_account\.sql$/);
    expect(s.failure!.line).toBeGreaterThan(0);
    expect(s.failure!.cause).toMatch(/^app old ran \d+ writes? \(add_event ×\d+\) between 001_account\.sql:\d+ and the failure/);
    expect(s.after.partial).toBe(true);
    expect(s.before.partial).toBeUndefined();
  });

  it('terminal: the failure and its cause before the before/after table, labelled partial; the verdict line says it', () => {
    const text = renderTerminal(report, { width: 200 });
    const at = text.indexOf('the suggested rewrite failed its rehearsal: ');
    expect(at).toBeGreaterThan(0);
    expect(text.indexOf('cause: app old ran')).toBeGreaterThan(at);
    expect(text.indexOf('after (partial)')).toBeGreaterThan(at);
    expect(renderVerdictLines(report)).toMatch(/verdict: (pass|fail) — the suggested rewrite failed its rehearsal at .*001_account\.sql:\d+ \(23514\)/);
  });

  it('Markdown: the failure under the verdict and at the head of the suggestion section; no bold after figures', () => {
    const md = renderMarkdown(report);
    const first = md.indexOf('❌ **the suggested rewrite failed its rehearsal');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(md.indexOf('### '));
    const start = md.indexOf('### Suggested migrations, rehearsed');
    const next = md.indexOf('\n##', start + 4);
    const section = md.slice(start, next < 0 ? undefined : next);
    expect(section.indexOf('the suggested rewrite failed')).toBeLessThan(section.indexOf('| | before |'));
    expect(section).toContain('after (partial: stopped at the failure)');
    expect(section).toContain('cause: app old ran');
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| |'));
    expect(rows.length).toBe(4);
    for (const r of rows) expect(r).not.toContain('**');
  });

  it('HTML: the failure in the header and at the head of the suggestion section; no bold after figures', () => {
    const html = renderHtml(report);
    const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
    expect(header).toContain('the suggested rewrite failed its rehearsal');
    const section = html.slice(html.indexOf('<section id="suggestion">'));
    const table = section.slice(section.indexOf('<table'), section.indexOf('</table>'));
    expect(section.indexOf('suggestion-failed')).toBeLessThan(section.indexOf('<table'));
    expect(table).toContain('after (partial: stopped at the failure)');
    expect(table).not.toContain('<strong>');
  });
});
