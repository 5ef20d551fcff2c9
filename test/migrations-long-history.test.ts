import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { generateHistory } from '../scripts/bench/history-gen.ts';
import { resolvePlan } from '../src/config/index.ts';
import { rehearse } from '../src/rehearsal.ts';
import { MARKDOWN_LIMIT, renderMarkdown } from '../src/report/render/markdown.ts';
import { renderTerminal } from '../src/report/render/terminal.ts';
import { silentLogger } from '../src/core/log.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rehearse-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Acceptance (issue 16): a long history — 300 sqitch changes mixing extensions, functions with dollar
 * quoting and nested quotes, triggers, DO blocks, COPY … FROM stdin rows, a psql \set, comments with
 * semicolons, CREATE INDEX CONCURRENTLY and a view over sqitch's own registry — replayed with --empty.
 */
describe('a long history, --empty', () => {
  // ~40 s on a quiet 2-core machine; the timeout leaves room for a loaded one
  it('applies all 300 changes, memory bounded, summarised in the terminal and in Markdown under its limit', { timeout: 300_000 }, async () => {
    const count = 300;
    generateHistory('sqitch', count, dir);
    const plan = resolvePlan({}, { empty: true, migrations: dir, databaseUrl: inject('pgUrl'), quiet: true });
    expect(plan.load).toEqual({ kind: 'none' });

    const heapBefore = process.memoryUsage().heapUsed;
    const { report, exitCode } = await rehearse({ ...plan, report: undefined }, silentLogger);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

    expect(report.run.error).toBeUndefined();
    const failed = report.migrations.find((m) => m.status === 'failed');
    expect([failed?.id, failed?.statements.find((s) => s.error)?.error, failed?.verify]).toEqual([undefined, undefined, undefined]);
    expect(exitCode).toBe(0);
    expect(report.migrationSource).toMatchObject({ format: 'sqitch', total: count, alreadyApplied: [] });
    expect(report.summary).toMatchObject({ applied: count, failed: 0, skipped: 0 });
    expect(report.migrations.filter((m) => m.verify).map((m) => m.verify!.ok)).toEqual(Array(count / 10).fill(true));
    // COPY rows went through the COPY protocol: 3 rows per seed change
    const copies = report.migrations.flatMap((m) => m.statements).filter((s) => s.kind === 'CopyStmt');
    expect(copies.length).toBeGreaterThan(30);
    expect(copies.every((s) => s.rowsAffected === 3)).toBe(true);
    // the view over sqitch.changes replayed: the registry existed before the first change
    expect(report.schemaDiff!.added.map((o) => o.object)).toContain('view:public.applied_migrations');

    // memory: the whole report and its traces, not a copy per statement of everything before it
    const json = JSON.stringify(report);
    expect(json.length).toBeLessThan(8_000_000);
    expect(heapGrowth).toBeLessThan(200 * 1024 * 1024);

    const md = renderMarkdown(report);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toContain(`### History\n\n${count} migrations`);
    expect(md).toContain('| slowest statements | duration | where |');
    expect(md).toContain('| strongest locks | held | where |');
    const terminal = renderTerminal(report).split('\n');
    expect(terminal.length).toBeLessThan(60);
    expect(terminal.join('\n')).toMatch(/300 migrations, \d+ statements in .* per migration\)/);
  });
});
