import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../src/report/index.ts';
import { rehearse } from '../src/rehearsal.ts';
import { DEFAULT_BUDGETS, finalizeReport, type Report } from '../src/report/index.ts';
import { renderSarif } from '../src/report/render/sarif.ts';
import { renderMarkdown } from '../src/report/render/markdown.ts';
import { renderTerminal } from '../src/report/render/terminal.ts';
import { renderHtml } from '../src/report/render/html.ts';
import { renderJunit } from '../src/report/render/junit.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { silentLogger } from '../src/core/log.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/** One rehearsal whose migrations show every pattern of issue 15, under a small workload. */
const FINDINGS_DATA =
  'CREATE TABLE users (id int PRIMARY KEY);\nINSERT INTO users SELECT g FROM generate_series(1, 2000) g;\n' +
  'CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, total numeric(12,2) NOT NULL, qty int NOT NULL, status text NOT NULL);\n' +
  "INSERT INTO orders SELECT g, 1 + g % 2000, g % 500 + 0.5, g % 7, 'new' FROM generate_series(1, 60000) g;\nVACUUM ANALYZE;\n";

let report: Report;
const of = (rule: Finding['rule']) => report.findings!.filter((f) => f.rule === rule);

beforeAll(async () => {
  const dump = path.join(filesIn({ 'data.sql': FINDINGS_DATA }), 'data.sql');
  const dir = filesIn({
    '001_wait.sql': 'SELECT pg_sleep(0.4);\n',
    '002_add_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
    '003_backfill.sql':
      'ALTER TABLE orders ADD COLUMN total_cents bigint;\nUPDATE orders SET total_cents = round(total * 100);\nALTER TABLE orders ALTER COLUMN total_cents SET NOT NULL;\n',
    '004_index.sql': 'CREATE INDEX orders_user_idx ON orders (user_id);\n',
    '005_fk.sql': 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);\n',
    '006_check.sql': 'ALTER TABLE orders ADD CHECK (qty >= 0);\n',
    '007_type.sql': 'ALTER TABLE orders ALTER COLUMN qty TYPE bigint;\n',
    '008_rename.sql': 'ALTER TABLE orders RENAME COLUMN status TO state;\n',
  });
  const workload = path.join(
    filesIn({
      'w.yaml':
        [
          'apps:',
          '  old:',
          '    clients: 2',
          '    queries:',
          '      - name: get_order',
          '        sql: SELECT id, status FROM orders WHERE id = $1',
          '        params: [{ int: [1, 60000] }]',
          '        rate: 20',
          'background:',
          '  - name: report',
          '    app: old',
          '    at: 0.05s',
          '    transaction:',
          '      - sql: SELECT count(*) FROM orders',
          '      - sql: SELECT pg_sleep(3)',
        ].join('\n') + '\n',
    }),
    'w.yaml',
  );
  ({ report } = await rehearse(
    { ...planOn(dir), load: { kind: 'dump', path: dump }, traffic: { workload, sampleMs: 10, warmupMs: 300, cooldownMs: 200 } },
    silentLogger,
  ));
  ReportSchema.parse(report);
}, 120_000);

describe('findings (issue 15): each pattern measured becomes a finding with its evidence and the safe pattern', () => {
  it('CREATE INDEX: ShareLock held, CONCURRENTLY suggested', () => {
    const [f] = of('create-index-blocking');
    expect(f).toMatchObject({
      migrationId: '004',
      statementIndex: 0,
      line: 1,
      mechanical: true,
      evidence: { table: 'orders', rows: 60000, lockMode: 'ShareLock' },
    });
    expect(f!.file).toMatch(/004_index\.sql$/);
    expect(f!.evidence.lockHeldMs).toBeGreaterThan(0);
    expect(f!.suggestedSql).toBe('CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id)');
  });

  it('ADD CONSTRAINT FK / CHECK: NOT VALID then VALIDATE, with the name PostgreSQL gives an unnamed one', () => {
    const [fk, check] = of('constraint-validated-under-lock');
    expect(fk).toMatchObject({ migrationId: '005', evidence: { kind: 'FOREIGN KEY', constraint: 'orders_user_fk', rows: 60000 }, mechanical: true });
    expect(fk!.suggestedSql).toContain('REFERENCES users (id) NOT VALID;\nCOMMIT;');
    expect(fk!.suggestedSql).toContain('ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;');
    expect(check).toMatchObject({ migrationId: '006', evidence: { kind: 'CHECK', constraint: 'orders_qty_check' } });
    expect(check!.suggestedSql).toContain('ADD CONSTRAINT orders_qty_check CHECK (qty >= 0) NOT VALID');
  });

  it('SET NOT NULL: check NOT VALID, validate, set, drop', () => {
    const [f] = of('set-not-null-scan');
    expect(f).toMatchObject({ migrationId: '003', statementIndex: 2, line: 3, evidence: { column: 'total_cents', rows: 60000 } });
    expect(f!.suggestedSql).toMatch(
      /CHECK \(total_cents IS NOT NULL\) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_cents_not_null_check;\nCOMMIT;\nBEGIN;\nALTER TABLE orders ALTER COLUMN total_cents SET NOT NULL;\nALTER TABLE orders DROP CONSTRAINT/,
    );
  });

  it('full-table UPDATE: batches sized from the measured rows/s, and the ADD COLUMN lock held across it', () => {
    const [f] = of('full-table-update');
    const s = report.migrations.find((m) => m.id === '003')!.statements[1]!;
    expect(f).toMatchObject({ migrationId: '003', statementIndex: 1, evidence: { rowsAffected: 60000 }, mechanical: true });
    const rate = Math.round((60000 * 1000) / s.durationMs);
    expect(f!.evidence.rowsPerSecond).toBe(rate);
    expect(f!.evidence.batchRows).toBeGreaterThanOrEqual(100);
    expect(Math.abs((f!.evidence.batchRows as number) - (rate * 200) / 1000)).toBeLessThanOrEqual(Math.max(100, rate * 0.2 * 0.05));
    expect(f!.suggestedSql).toMatch(/^DO \$rehearse\$/m);
    expect(f!.suggestedSql).toContain('COMMIT;');

    const [held] = of('lock-held-across-statements');
    expect(held).toMatchObject({ migrationId: '003', statementIndex: 0, evidence: { lockMode: 'AccessExclusiveLock', longStatementIndex: 1 } });
    expect(held!.evidence.lockHeldMs).toBeGreaterThan(s.durationMs);
  });

  it('a rewrite by a type change: expand/contract', () => {
    const [f] = of('table-rewrite');
    expect(f).toMatchObject({ migrationId: '007', mechanical: false, evidence: { cause: 'alter-column-type', column: 'qty', rows: 60000 } });
    expect(f!.evidence.rewritten).toBeGreaterThanOrEqual(1);
    expect(f!.advice).toMatch(/expand\/contract/i);
  });

  it('a DDL that waited in the lock queue: lock_timeout with retries', () => {
    const [f] = of('ddl-waited-in-lock-queue');
    expect(f).toMatchObject({ migrationId: '002', mechanical: true, evidence: { rootBlocker: 'old/report' } });
    expect(f!.evidence.waitedMs).toBe(report.migrations.find((m) => m.id === '002')!.statements[0]!.lockWaitMs);
    expect(f!.evidence.waitedMs).toBeGreaterThanOrEqual(100);
    expect(f!.suggestedSql).toBe("SET lock_timeout = '200ms';\nALTER TABLE orders ADD COLUMN note text");
  });

  it('a rename that broke the running app: expand/contract with the deploy order', () => {
    const [f] = of('breaks-running-app');
    expect(f).toMatchObject({ migrationId: '008', statementIndex: 0, evidence: { app: 'old', sqlstate: '42703' } });
  });
});

describe('findings in every format', () => {
  it('terminal, Markdown, HTML and JUnit name each finding; Markdown and HTML carry the suggested SQL', () => {
    const terminal = renderTerminal(report, { width: 100 });
    const md = renderMarkdown(report);
    const html = renderHtml(report);
    const junit = renderJunit(report);
    for (const f of report.findings!) {
      expect(terminal).toContain(`${f.rule} `);
      expect(md).toContain(`\`${f.rule}\``);
      expect(html).toContain(`<code>${f.rule}</code>`);
      expect(junit).toContain(`name="${f.rule} ${f.migrationId}`);
    }
    expect(md).toContain('CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id)');
    expect(html).toContain('CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id)');
  });
});

describe('SARIF 2.1.0', () => {
  it('validates against the SARIF 2.1.0 JSON schema; one result per finding and per budget violation, at the real file:line', () => {
    finalizeReport(report, { budgets: DEFAULT_BUDGETS });
    const sarif = JSON.parse(renderSarif(report));
    // the schema as published with the SARIF 2.1.0 standard (rtm.5), shipped by @microsoft/jest-sarif
    const require = createRequire(import.meta.url);
    const schemaFile = path.join(path.dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib/schemas/sarif-2.1.0-rtm.5.json');
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    const ajv = new (AjvDraft04 as unknown as typeof AjvDraft04.default)({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    const ok = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);

    const results = sarif.runs[0].results as any[];
    const violations = report.budgets!.results.reduce((t, b) => t + b.violations.length, 0);
    expect(results.length).toBe(report.findings!.length + violations);
    expect(results.filter((r) => r.ruleId.startsWith('finding/')).length).toBe(report.findings!.length);
    // every location is a real file and its line starts the statement the result is about
    for (const r of results) {
      const loc = r.locations[0]?.physicalLocation;
      expect(loc).toBeDefined();
      const file = decodeURIComponent(new URL(loc.artifactLocation.uri).pathname);
      expect(fs.existsSync(file)).toBe(true);
      if (!loc.region) continue;
      const { migrationId, statementIndex } = r.properties;
      if (statementIndex === null) continue;
      const st = report.migrations.find((m) => m.id === migrationId)!.statements[statementIndex]!;
      expect(loc.region.startLine).toBe(st.line);
      expect(fs.readFileSync(file, 'utf8').split('\n')[st.line - 1]).toContain(st.sql.split('\n')[0]!.slice(0, 20));
    }
    const index = results.find((r) => r.ruleId === 'finding/create-index-blocking');
    expect(index.level).toMatch(/^(error|warning)$/);
    expect(sarif.runs[0].tool.driver.rules.map((x: any) => x.id)).toContain('budget/maxLockHold');
  });
});
