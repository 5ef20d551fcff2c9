import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse } from '../src/rehearsal.ts';
import { finalizeReport, DEFAULT_BUDGETS } from '../src/report/policy/budgets.ts';
import { groupBlocking } from '../src/report/format/blocking-groups.ts';
import { fmtPct } from '../src/report/format/text.ts';
import { renderMarkdown } from '../src/report/render/markdown.ts';
import { renderTerminal } from '../src/report/render/terminal.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { silentLogger } from '../src/core/log.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/** No noise (issue 15): one line per blocked query and statement, p99 once per migration, ×N growth. */
describe('grouped violations and blocking', () => {
  it('a long lock with four app queries blocked, many times each: one grouped line per (query, statement) in the terminal and the Markdown', async () => {
    const dump = path.join(
      filesIn({ 'items.sql': 'CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL);\nINSERT INTO items SELECT g, g FROM generate_series(1, 1000) g;\n' }),
      'items.sql',
    );
    // the lock: AccessExclusive on items, then the transaction sleeps (a 100 s lock, shortened)
    const dir = filesIn({ '001_lock.sql': 'ALTER TABLE items ADD COLUMN note text;\nSELECT pg_sleep(2.5);\nSELECT pg_sleep(0.5);\n' });
    // four app queries, each its own clients, so every one of them has executions stuck behind the lock
    const app = (name: string, sql: string) => [
      `  ${name}:`,
      '    clients: 3',
      '    queries:',
      '      - name: q',
      `        sql: ${sql}`,
      '        params: [{ int: [1, 1000] }]',
      '        rate: 15',
    ];
    const workload = path.join(
      filesIn({
        'w.yaml':
          [
            'apps:',
            ...app('a', 'SELECT v FROM items WHERE id = $1'),
            ...app('b', 'SELECT id FROM items WHERE id = $1'),
            ...app('c', 'SELECT count(*) FROM items WHERE id < $1'),
            ...app('d', 'UPDATE items SET v = v WHERE id = $1'),
          ].join('\n') + '\n',
      }),
      'w.yaml',
    );
    const { report } = await rehearse(
      { ...planOn(dir), load: { kind: 'dump', path: dump }, traffic: { workload, sampleMs: 10, warmupMs: 500, cooldownMs: 300 } },
      silentLogger,
    );
    finalizeReport(report, { budgets: { ...DEFAULT_BUDGETS, maxP99IncreasePct: 10, p99IncreaseMinMs: 1 } });
    ReportSchema.parse(report);

    const waits = report.blocking.filter((b) => b.app !== 'migration');
    const groups = groupBlocking(waits);
    // four queries blocked, several executions each, all on statement 1 (it holds the lock)
    expect(new Set(groups.map((g) => g.app))).toEqual(new Set(['a', 'b', 'c', 'd']));
    expect(waits.length).toBeGreaterThan(groups.length);
    const a = groups.find((g) => g.app === 'a' && g.statementIndex === 0)!;
    expect(a.count).toBeGreaterThan(1);
    expect(a.longestMs).toBeGreaterThan(2000);
    expect(a.totalMs).toBeGreaterThan(a.longestMs);

    const terminal = renderTerminal(report, { width: 100 });
    const blockedLines = terminal.split('\n').filter((l) => l.startsWith('blocked: '));
    expect(blockedLines.length).toBeGreaterThan(0);
    for (const name of ['a', 'b', 'c', 'd']) expect(blockedLines.filter((l) => l.startsWith(`blocked: ${name}/q `)).length).toBe(1);
    expect(blockedLines.some((l) => /waited \d+× \(longest/.test(l))).toBe(true);
    // the table fits 100 columns by cutting the SQL
    for (const line of terminal.split('\n').filter((l) => /^[┌│├└]/.test(l))) expect(line.length).toBeLessThanOrEqual(100);

    const md = renderMarkdown(report);
    const rows = md.split('\n').filter((l) => /^\| `[abcd]\/q` \|/.test(l));
    const keys = rows.map((l) =>
      l
        .split('|')
        .slice(1, 6)
        .map((c) => c.trim())
        .filter((_, i) => i === 0 || i === 4)
        .join(' '),
    );
    expect(keys.length).toBe(4);
    expect(new Set(keys).size).toBe(keys.length);

    // the p99 budget counts a query once per migration, naming its worst statement
    const p99 = report.budgets!.results.find((b) => b.name === 'maxP99Increase')!;
    const per = p99.violations.map((v) => `${v.message.split(' ')[0]} ${v.migrationId}`);
    expect(new Set(per).size).toBe(per.length);
  }, 60_000);

  it('growth over 10× as ×N, not a percentage', () => {
    expect(fmtPct(899_900)).toBe('×9,000');
    expect(fmtPct(1_400)).toBe('×15');
    expect(fmtPct(313)).toBe('+313 %');
    expect(fmtPct(-40)).toBe('-40 %');
  });
});
