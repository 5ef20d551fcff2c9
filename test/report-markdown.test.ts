import { describe, expect, it, vi } from 'vitest';
import { groupBlocking } from '../src/report/format/blocking-groups.ts';
import { renderMarkdown, MARKDOWN_LIMIT } from '../src/report/render/markdown.ts';
import { finalizeReport, DEFAULT_BUDGETS } from '../src/report/index.ts';
import { exampleReport, largeReport, statementOf, trafficReport } from './fixtures-reports/reports.ts';

const balanced = (md: string) => (md.match(/<details>/g) ?? []).length === (md.match(/<\/details>/g) ?? []).length && (md.match(/```/g) ?? []).length % 2 === 0;

describe('Markdown', () => {
  it('puts the verdict first, then per migration the worst lock hold, the budgets and the schema', () => {
    const md = renderMarkdown(exampleReport());
    expect(md.split('\n')[0]).toBe('## ❌ pg-rehearse: fail');
    expect(md).toMatch(/^- budget maxRewriteRows: 1 violation — 003 statement 1 .* rewrote order_items \(124,787 rows\)/m);
    // the int → bigint migration: its lock hold, the mode, the table, the file:line
    expect(md).toMatch(
      /\| `003` order_items_quantity_bigint \| ✅ applied \| \d+ ms \| \*\*\d+ ms\*\* AccessExclusive on `order_items` · rewrite · `003_order_items_quantity_bigint\.up\.sql:3` \|/,
    );
    expect(md).toContain('| `maxRewriteRows` | no rewrite of a table above 100,000 rows | ❌ 1 violation |');
    expect(md).toMatch(/Schema: 6 added, 1 removed, 1 changed/);
    expect(md).toMatch(/Rollback: ✅ 12 down migrations restored the starting schema/);
    expect(md).toContain('<details><summary>Statements (18)</summary>');
    expect(md).not.toContain('Truncated');
    expect(balanced(md)).toBe(true);
    // no traffic: no blocking column, no compatibility section
    expect(md).not.toContain('longest blocking');
    expect(md).not.toContain('### Compatibility');
  });

  it('with traffic: the longest blocking per migration, the compatibility matrix and the suggested rollout', () => {
    const r = trafficReport();
    finalizeReport(r, { budgets: DEFAULT_BUDGETS });
    const md = renderMarkdown(r);
    expect(md).toContain('| migration | status | duration | worst lock hold | longest blocking |');
    expect(md).toMatch(/\| `009` backfill_orders_total_cents \|.*\| \*\*1500 ms\*\* `old\/update_order` · statement 1 \|/);
    expect(md).toMatch(/\| `003` order_items_quantity_bigint \|.*\| \*\*290 ms\*\* `old\/get_order` · statement 1 \|/);
    expect(md).toContain('| schema state | old | new |');
    expect(md).toContain('| `initial` | ✅ | ❌ `get_order_v2` 42703 |');
    expect(md).toContain('| `012` contract_drop_orders_total | ❌ `get_order` 42703 | ✅ |');
    expect(md).toContain(
      '**Suggested rollout:** Run 001–009 before deploying the new app; 010, 011 can run while both versions run; run 012 only after the old app is gone.',
    );
    expect(md).toContain('Old app works through `011`; new app works from `009`.');
    // six waits, grouped per blocked query and statement: never the same line twice
    const groups = groupBlocking(r.blocking);
    expect(groups.length).toBeLessThanOrEqual(6);
    expect(md).toContain(`<details><summary>Blocking (${groups.length} blocked queries by statement, longest first)</summary>`);
    expect(md).toContain('| `old` | `update_order` | 800 | 57014: 2 | 2 ms | 5 ms | 1510 ms | 1530 ms |');
    expect(md).toMatch(/❌ `maxBlocked` `009_backfill_orders_total_cents\.up\.sql:3` 009 statement 1 .* made old\/update_order wait 1500 ms, over 1000 ms/);
    expect(balanced(md)).toBe(true);
  });

  it('a 300-statement report stays under 65,536 characters and says it was truncated and where the full report is', () => {
    const r = largeReport(300);
    r.output = { dir: 'reports/2026-05-01T02-00-00', formats: ['json', 'md', 'html'] };
    finalizeReport(r, { budgets: DEFAULT_BUDGETS });
    const md = renderMarkdown(r);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md.length).toBeGreaterThan(MARKDOWN_LIMIT - 2000); // it uses the room it has
    expect(md).toMatch(
      /> ✂️ \*\*Truncated\*\* to fit 65,536 characters \(a pull-request comment\): left out .*statement rows.*\. The full report is `reports\/2026-05-01T02-00-00\/report\.json` \(`reports\/2026-05-01T02-00-00\/report\.html` has the timeline\)\./,
    );
    expect(md).toMatch(/more statements in the full report/);
    // the essentials come first and survive: verdict, the migration table, the budgets
    expect(md.split('\n')[0]).toBe('## ❌ pg-rehearse: fail');
    expect(md).toContain('| `0060` change_number_60_with_a_rather_long_descriptive_name |');
    expect(md).toContain('| `maxLockHold` |');
    expect(balanced(md)).toBe(true);

    r.output = { dir: 'reports/x', formats: ['json', 'md'], reportUrl: 'https://github.com/acme/shop/actions/runs/42' };
    expect(renderMarkdown(r)).toContain('The full report is <https://github.com/acme/shop/actions/runs/42>.');
  });

  it('any limit is kept, however small', () => {
    const r = largeReport(300);
    for (const max of [4000, 8000, 20_000]) {
      const md = renderMarkdown(r, { maxChars: max });
      expect(md.length).toBeLessThanOrEqual(max);
      expect(md).toContain('Truncated');
    }
  });

  it('is a pure function of the report: no clock, no environment', () => {
    const r = trafficReport();
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2001-01-01T00:00:00Z'));
    const a = renderMarkdown(r);
    vi.setSystemTime(new Date('2031-06-15T12:34:56Z'));
    const b = renderMarkdown(structuredClone(r));
    vi.useRealTimers();
    expect(a).toBe(b);
  });

  it('masks passwords and leaves row data out', () => {
    const r = exampleReport();
    r.run.argv = ['run', '--database-url', 'postgresql://me:topsecret@db/app'];
    Object.assign(statementOf(r, '004'), {
      error: {
        sqlstate: '23505',
        message: 'could not create unique index "x": password=hunter2',
        detail: 'Key (email)=(alice@example.com) is duplicated.',
        file: 'f.sql',
        line: 3,
      },
    });
    r.migrations.find((m) => m.id === '004')!.status = 'failed';
    const md = renderMarkdown(r);
    expect(md).not.toContain('topsecret');
    expect(md).not.toContain('hunter2');
    expect(md).not.toContain('alice@example.com');
    expect(md).toContain('postgresql://me:****@db/app');
  });

  it('escapes table cells: pipes and HTML in SQL and messages do not break the layout', () => {
    const r = exampleReport();
    statementOf(r, '001').sql = "SELECT 'a|b' AS \"x`y\", '<b>bold</b>'";
    r.migrations[0]!.name = 'add_<i>note</i>|x';
    const md = renderMarkdown(r);
    const row = md.split('\n').find((l) => l.startsWith('| `001#1`'))!;
    // SQL stays in a code span (shown literally), its pipe escaped, the backtick handled
    expect(row).toContain("| `` SELECT 'a\\|b' AS \"x`y\", '<b>bold</b>' `` |");
    expect(row.split(/(?<!\\)\|/).length).toBe(9);
    // other text: HTML escaped
    expect(md).toContain('add_&lt;i&gt;note&lt;/i&gt;\\|x');
  });
});
