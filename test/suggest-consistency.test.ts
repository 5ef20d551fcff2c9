import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/log.ts';
import { rehearse } from '../src/rehearsal.ts';
import type { Report } from '../src/report/index.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { renderMarkdown } from '../src/report/render/markdown.ts';
import { type Suggestion, rehearseSuggestion } from '../src/suggest/index.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/**
 * Issue 25: a backfill split out of the migration's transaction keeps the rows written meanwhile
 * right. One Prisma migration adds a uuid column, backfills it, sets it NOT NULL and indexes it;
 * the old app inserts events without the column all along. The suggestion sets the column's
 * DEFAULT before the batched backfill (and re-checks before the validation), puts the DO block and
 * the CONCURRENTLY build in migrations of their own, and its rehearsal passes: VALIDATE and SET NOT
 * NULL succeed, so every row — the app's too — has the column.
 */
const ROWS = 10_000;
const DATA = `CREATE TABLE events (id bigserial PRIMARY KEY, kind text NOT NULL);\nINSERT INTO events (kind) SELECT 'k' || (g % 7) FROM generate_series(1, ${ROWS}) g;\nVACUUM ANALYZE;\n`;
const MIGRATION =
  'ALTER TABLE events ADD COLUMN ref uuid;\n' +
  'UPDATE events SET ref = gen_random_uuid();\n' +
  'ALTER TABLE events ALTER COLUMN ref SET NOT NULL;\n' +
  'CREATE INDEX events_ref_idx ON events (ref);\n';
const WORKLOAD = [
  'apps:',
  '  old:',
  '    role: old',
  '    clients: 2',
  '    queries:',
  '      - name: add_event',
  "        sql: INSERT INTO events (kind) VALUES ('k' || $1)",
  '        params: [{ int: [1, 7] }]',
  '        rate: 40',
].join('\n');

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-consistency-'));
let before: Report;
let after: Report;
let suggestion: Suggestion;

beforeAll(async () => {
  const dump = path.join(filesIn({ 'data.sql': DATA }), 'data.sql');
  const workload = path.join(filesIn({ 'w.yaml': `${WORKLOAD}\n` }), 'w.yaml');
  const project = filesIn({
    'migrations/migration_lock.toml': 'provider = "postgresql"\n',
    'migrations/20240301000000_event_ref/migration.sql': MIGRATION,
  });
  const plan = {
    ...planOn(path.join(project, 'migrations')),
    load: { kind: 'dump' as const, path: dump },
    traffic: { workload, sampleMs: 10, warmupMs: 300, cooldownMs: 200 },
  };
  ({ report: before } = await rehearse(plan, silentLogger));
  suggestion = (await rehearseSuggestion(plan, before, out, silentLogger, rehearse))!;
  after = JSON.parse(fs.readFileSync(suggestion.report, 'utf8')) as Report;
  ReportSchema.parse(after);
}, 180_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('a backfill split out of the transaction keeps concurrent writes consistent', () => {
  it('the rewrite: DEFAULT first, batches of what is NULL, a last pass, then the NOT NULL steps; the CONCURRENTLY build and the DO block in migrations of their own', () => {
    const f = before.findings!.find((x) => x.rule === 'full-table-update')!;
    expect(f).toMatchObject({ mechanical: true, evidence: { keepsWritesBy: 'default' } });
    expect(f.suggestedSql).toContain('BEGIN;\nALTER TABLE events ALTER COLUMN ref SET DEFAULT gen_random_uuid();\nCOMMIT;');
    expect(f.suggestedSql).toContain('AND ((ref IS NULL))');
    expect(f.suggestedSql).toContain('UPDATE events SET ref = gen_random_uuid() WHERE (ref IS NULL);');
    expect(suggestion.rewrites.map((r) => r.rule).sort()).toEqual(['create-index-blocking', 'full-table-update', 'set-not-null-scan']);
    const placed = suggestion.placed!.map((p) => [path.relative(suggestion.folder, p.file), p.outside]);
    expect(placed).toEqual([
      ['20240301000001_event_ref_part1/migration.sql', true],
      ['20240301000002_event_ref_part2/migration.sql', false],
      ['20240301000003_event_ref_part3/migration.sql', true],
    ]);
  });

  it("the suggestion's rehearsal passes: the column is filled for every row, the app's inserted meanwhile too (VALIDATE and SET NOT NULL succeed)", () => {
    expect(suggestion.failure).toBeUndefined();
    // the DEFAULT stays until the contract step; otherwise the same final schema
    expect(suggestion.contractSteps).toEqual(['ALTER TABLE events ALTER COLUMN ref DROP DEFAULT;']);
    expect(suggestion.sameSchema).toBe(true);
    expect(suggestion.status).toBe('passed');
    expect(after.migrations.map((m) => m.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    const statements = after.migrations.flatMap((m) => m.statements);
    expect(statements.find((s) => /VALIDATE CONSTRAINT/.test(s.sql))!.error).toBeUndefined();
    expect(statements.find((s) => /SET NOT NULL/.test(s.sql))!.error).toBeUndefined();
    // the old app inserted rows while the steps committed one by one, and none of its inserts failed
    const add = after.workload!.apps[0]!.queries.find((q) => q.name === 'add_event')!;
    const during = add.phases.filter((p) => p.phase.includes('#')).reduce((t, p) => t + p.ok, 0);
    expect(during).toBeGreaterThan(0);
    expect(add.errors).toEqual({});
  });

  it('before/after: the ADD COLUMN no longer holds its AccessExclusiveLock across the backfill', () => {
    const held = (r: Report) => r.migrations[0]!.statements[0]!;
    // the original: the ADD COLUMN's lock held to the end of the one transaction, past the whole backfill
    const backfill = before.migrations[0]!.statements[1]!;
    expect(held(before).lockHeldMs).toBeGreaterThan(backfill.durationMs);
    // the suggestion: the ADD COLUMN commits on its own, before the backfill starts
    const batches = after.migrations[1]!.statements[0]!;
    expect(batches.sql).toMatch(/^DO \$rehearse\$/m);
    expect(Date.parse(held(after).startedAt) + held(after).lockHeldMs).toBeLessThanOrEqual(Date.parse(batches.startedAt) + 1);
    // before/after figures for the report (their sizes are the machine's: not compared here)
    expect(suggestion.before.blockingLockHoldMs).toBeGreaterThan(0);
    expect(suggestion.after.partial).toBeUndefined();
    expect(suggestion.after.appWaitMs).not.toBeNull();
    const md = renderMarkdown({ ...before, suggestion });
    expect(md).toMatch(/\| longest blocking lock hold \| [^|]+ \| \*\*[^|*]+\*\* \|/);
    expect(md).toMatch(/\| longest app wait \| [^|]+ \| \*\*[^|*]+\*\* \|/);
  });
});
