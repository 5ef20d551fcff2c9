import { describe, expect, it } from 'vitest';
import { renderJunit } from '../src/report/render/junit.ts';
import { DEFAULT_BUDGETS, finalizeReport } from '../src/report/index.ts';
import { exampleReport, statementOf, trafficReport } from './fixtures-reports/reports.ts';

/** Well-formed enough: every tag closed in order, no raw & or < in text. */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^>]*\?>\n/, '');
  for (const m of body.matchAll(/<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    if (m[4]) continue;
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]!);
  }
  const text = body.replace(/<[^>]+>/g, '');
  return stack.length === 0 && !/&(?!amp;|lt;|gt;|quot;|#10;)/.test(text) && !text.includes('<');
}

const cases = (xml: string, suite: string) => {
  const s = xml.split(`<testsuite name="${suite}"`)[1]?.split('</testsuite>')[0] ?? '';
  return [...s.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]);
};

describe('JUnit XML', () => {
  it('one testcase per migration and one per budget, the failure carrying the reason', () => {
    const r = trafficReport();
    finalizeReport(r, { budgets: DEFAULT_BUDGETS });
    const xml = renderJunit(r);
    expect(wellFormed(xml)).toBe(true);
    expect(cases(xml, 'migrations')).toEqual(r.migrations.map((m) => `${m.id} ${m.name}`));
    expect(cases(xml, 'budgets')).toEqual([
      'maxLockHold',
      'maxBlocked',
      'maxStatement',
      'maxRewriteRows',
      'maxP99Increase',
      'oldAppCompatible',
      'noInvalidIndex',
    ]);
    expect(xml).toMatch(
      /<testcase classname="pg-rehearse\.budgets" name="maxRewriteRows" time="0\.000">\n {6}<failure message="1 violation of: no rewrite of a table above 100,000 rows" type="budget">fixtures\/shop\/migrations\/003_order_items_quantity_bigint\.up\.sql:3: 003 statement 1 /,
    );
    expect(xml).toMatch(
      /name="maxBlocked" time="0\.000">\n {6}<failure message="1 violation of: no application query waits longer than 1000 ms on a migration's locks" type="budget">/,
    );
    expect(xml).toMatch(/<testsuites name="pg-rehearse" tests="20" failures="3" errors="0" skipped="0"/);
    expect(xml).toContain('<testsuite name="checks" tests="1"');
  });

  it('a failed migration: file:line, SQLSTATE and message; later ones skipped; budgets not applicable are skipped', () => {
    const r = exampleReport();
    const s = statementOf(r, '010');
    s.error = {
      sqlstate: '23514',
      message: 'check constraint "x" of relation "orders" is violated by some row',
      detail: 'Failing row contains (1, <secret>, a&b).',
      file: s.file,
      line: s.line,
    };
    s.sql = "ALTER TABLE orders ADD CONSTRAINT x CHECK (total_cents > 0 AND note <> '<&>')";
    r.migrations.find((m) => m.id === '010')!.status = 'failed';
    for (const m of r.migrations.filter((m) => m.id > '010')) Object.assign(m, { status: 'skipped', statements: [] });
    Object.assign(r.run, { status: 'failed', exitCode: 1 });
    finalizeReport(r, { budgets: DEFAULT_BUDGETS });
    const xml = renderJunit(r);
    expect(wellFormed(xml)).toBe(true);
    expect(xml).toContain(
      '<failure message="fixtures/shop/migrations/010_total_cents_not_null_check.up.sql:2: 23514 check constraint &quot;x&quot; of relation &quot;orders&quot; is violated by some row" type="23514">',
    );
    expect(xml).toContain("ALTER TABLE orders ADD CONSTRAINT x CHECK (total_cents &gt; 0 AND note &lt;&gt; '&lt;&amp;&gt;')</failure>");
    expect(xml).not.toContain('secret'); // row data cut out of the detail
    expect(xml).toContain(
      '<testcase classname="pg-rehearse.migrations" name="011 total_cents_set_not_null" file="fixtures/shop/migrations/011_total_cents_set_not_null.up.sql" time="0.039">\n      <skipped message="not run: an earlier migration failed"/>'.replace(
        '0.039',
        (r.migrations.find((m) => m.id === '011')!.durationMs / 1000).toFixed(3),
      ),
    );
    expect(xml).toMatch(/name="maxBlocked" time="0\.000">\n {6}<skipped message="no application traffic in this run/);
  });

  it('a run that could not finish is an error testcase', () => {
    const r = exampleReport();
    r.migrations = [];
    Object.assign(r.run, {
      status: 'error',
      exitCode: 3,
      error: { kind: 'infrastructure', message: 'cannot connect to postgresql://me:topsecret@db/app', hint: 'check the URL' },
    });
    const xml = renderJunit(r);
    expect(wellFormed(xml)).toBe(true);
    expect(xml).toMatch(
      /<testcase classname="pg-rehearse\.migrations" name="run" time="[\d.]+">\n {6}<error message="cannot connect to postgresql:\/\/me:\*\*\*\*@db\/app" type="infrastructure">/,
    );
    expect(xml).not.toContain('topsecret');
  });
});
