import path from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/log.ts';
import { rehearse } from '../src/rehearsal.ts';
import { DEFAULT_BUDGETS, finalizeReport, type Report } from '../src/report/index.ts';
import { codeQualityIssues, renderCodeQuality } from '../src/report/render/codequality.ts';
import { renderMarkdown } from '../src/report/render/markdown.ts';
import { renderSarif } from '../src/report/render/sarif.ts';
import { renderTerminal } from '../src/report/render/terminal.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/**
 * Issue 22: a reviewer reads where a finding is. A Prisma history (one migration.sql per folder)
 * whose findings must name their migration in every format, a TOAST table named by its table, and
 * GitLab's Code Quality JSON: its documented fields, stable fingerprints across two runs.
 */
const DATA =
  'CREATE TABLE report (id int PRIMARY KEY, n int NOT NULL, body text);\n' +
  "INSERT INTO report SELECT g, g % 100, 'r' || g FROM generate_series(1, 20000) g;\nVACUUM ANALYZE;\n";
const ADD_TAG = `${Array.from({ length: 16 }, (_, i) => `-- line ${i + 1}: Prisma writes its own comments here`).join('\n')}
-- AlterTable
ALTER TABLE "report" ADD COLUMN "tag" TEXT;
CREATE INDEX "report_tag_idx" ON "report"("tag");
`;
const HISTORY = {
  'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
  'prisma/migrations/20250105120000_add_tag/migration.sql': ADD_TAG,
  'prisma/migrations/20250106120000_widen_n/migration.sql': '-- AlterTable\nALTER TABLE "report" ALTER COLUMN "n" SET DATA TYPE BIGINT;\n',
};
const ADD_TAG_AT = '20250105120000_add_tag/migration.sql:19';

async function run(): Promise<Report> {
  const dump = path.join(filesIn({ 'data.sql': DATA }), 'data.sql');
  const dir = path.join(filesIn(HISTORY), 'prisma', 'migrations');
  const { report } = await rehearse({ ...planOn(dir), load: { kind: 'dump', path: dump } }, silentLogger);
  // a rewrite of 20,000 rows over a budget of 10: one budget violation beside the findings
  finalizeReport(report, { budgets: { ...DEFAULT_BUDGETS, maxRewriteRows: 10 } });
  return report;
}

let first: Report;
let second: Report;
beforeAll(async () => {
  first = await run();
  second = await run();
}, 240_000);

/** every relation name anywhere in the report */
function relations(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) relations(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === 'relation' && typeof v === 'string') out.push(v);
      else relations(v, out);
    }
  return out;
}

describe('findings of a Prisma history name their migration', () => {
  it('the CREATE INDEX finding is at 20250105120000_add_tag/migration.sql:19 in terminal and Markdown', () => {
    const f = first.findings!.find((x) => x.rule === 'create-index-blocking');
    expect(f, JSON.stringify(first.findings)).toBeDefined();
    expect(f!.line).toBe(19);
    expect(renderTerminal(first, { color: false, width: 200 })).toContain(ADD_TAG_AT);
    expect(renderMarkdown(first)).toContain(ADD_TAG_AT);
    // never the bare file name that every migration of the history shares
    expect(renderMarkdown(first)).not.toMatch(/[`\s]migration\.sql:\d/);
  });

  it('SARIF locates it in the migration folder at line 19', () => {
    const sarif = JSON.parse(renderSarif(first));
    const result = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'finding/create-index-blocking');
    const loc = result.locations[0].physicalLocation;
    expect(loc.artifactLocation.uri).toMatch(/20250105120000_add_tag\/migration\.sql$/);
    expect(loc.region.startLine).toBe(19);
  });

  it('a TOAST relation is named by its table', () => {
    const names = relations(first);
    expect(names).toContain('report (TOAST)');
    expect(names.filter((n) => n.startsWith('pg_toast'))).toEqual([]);
  });
});

/** GitLab's Code Quality report: the fields its documentation lists as required, and their types. */
const CODE_QUALITY_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['description', 'check_name', 'fingerprint', 'severity', 'location'],
    properties: {
      description: { type: 'string', minLength: 1 },
      check_name: { type: 'string', minLength: 1 },
      fingerprint: { type: 'string', pattern: '^[0-9a-f]{32}$' },
      severity: { enum: ['info', 'minor', 'major', 'critical', 'blocker'] },
      location: {
        type: 'object',
        required: ['path', 'lines'],
        properties: {
          path: { type: 'string', minLength: 1 },
          lines: { type: 'object', required: ['begin'], properties: { begin: { type: 'integer', minimum: 1 } } },
        },
      },
    },
  },
};

describe('--format codequality', () => {
  it('one valid entry per finding and per budget violation, naming the migration', () => {
    const issues = JSON.parse(renderCodeQuality(first));
    const validate = new Ajv({ allErrors: true }).compile(CODE_QUALITY_SCHEMA);
    expect(validate(issues), JSON.stringify(validate.errors)).toBe(true);
    const violations = first.budgets!.results.flatMap((b) => b.violations);
    expect(violations.length).toBeGreaterThan(0);
    expect(issues).toHaveLength(first.findings!.length + violations.length);
    const index = issues.find((i: { check_name: string }) => i.check_name === 'pg-rehearse/finding/create-index-blocking');
    expect(index.location.path).toMatch(/20250105120000_add_tag\/migration\.sql$/);
    expect(index.location.lines.begin).toBe(19);
    expect(index.description).toContain(ADD_TAG_AT);
    const budget = issues.find((i: { check_name: string }) => i.check_name === 'pg-rehearse/budget/maxRewriteRows');
    expect(budget.location.path).toMatch(/20250106120000_widen_n\/migration\.sql$/);
    expect(budget.severity).toBe('critical');
    expect(new Set(issues.map((i: { fingerprint: string }) => i.fingerprint)).size).toBe(issues.length);
  });

  it('fingerprints do not change between two runs of the same migrations', () => {
    // the two runs' temp folders differ: compare what a repository would hold, paths below it
    const key = (r: Report) => codeQualityIssues(rebased(r)).map((i) => `${i.check_name} ${i.fingerprint}`);
    expect(key(second)).toEqual(key(first));
  });
});

/** The report with its migration paths made relative to the history's root, as a run from the repository root writes them. */
function rebased(r: Report): Report {
  const rel = (f: string | null) => (f ? f.slice(f.indexOf('prisma/migrations/')) : f);
  return {
    ...r,
    migrations: r.migrations.map((m) => ({ ...m, file: rel(m.file)! })),
    findings: r.findings?.map((f) => ({ ...f, file: rel(f.file) })),
    budgets: r.budgets && { results: r.budgets.results.map((b) => ({ ...b, violations: b.violations.map((v) => ({ ...v, file: rel(v.file) })) })) },
  } as Report;
}
