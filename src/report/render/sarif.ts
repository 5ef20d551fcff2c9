import type { Log, ReportingDescriptor, Result } from 'sarif';
import { FINDING_RULES, type FindingRule } from '../policy/findings/types.ts';
import type { Report } from '../model/types.ts';
import { clean } from '../format/text.ts';

/**
 * SARIF 2.1.0 (`--format sarif`, report.sarif): one result per finding and per budget violation,
 * at the migration's file and line, so GitHub code scanning annotates the pull request's diff.
 * Rule ids are stable (docs/findings.md): `finding/<rule>` and `budget/<name>`. Paths are kept as
 * the run saw them: relative to the working directory (run from the repository root), absolute
 * ones as file:// URIs. A pure function of the report.
 */

const FINDING_DOCS: Record<FindingRule, string> = {
  'lock-held-across-statements': 'A lock that blocks the apps was held across a long statement in the same transaction',
  'create-index-blocking': 'CREATE INDEX without CONCURRENTLY blocked writes to the table',
  'constraint-validated-under-lock': 'ADD CONSTRAINT (foreign key or CHECK) checked every row under the table lock',
  'set-not-null-scan': 'SET NOT NULL scanned the table under an AccessExclusiveLock',
  'full-table-update': 'One UPDATE of (nearly) every row held its row locks until it committed',
  'table-rewrite':
    'A statement rewrote a table that held rows (ALTER COLUMN TYPE, a STORED generated column, a volatile default, SET LOGGED, VACUUM FULL, …) under its lock',
  'ddl-waited-in-lock-queue': 'A DDL waited for its lock and the apps queued behind it',
  'breaks-running-app': 'The migration broke the running (old) application version',
};

const BUDGET_DOCS: Record<string, string> = {
  maxLockHold: 'A lock that blocks reads or writes was held longer than the budget',
  maxBlocked: "An application query waited longer than the budget on a migration's locks",
  maxStatement: 'A statement ran longer than the budget',
  maxRewriteRows: 'A statement rewrote a table with more rows than the budget',
  maxP99Increase: "An application query's p99 latency rose more than the budget over its baseline",
  oldAppCompatible: 'The old application version failed before the contract migration',
  noInvalidIndex: 'An invalid index was left behind',
};

export const findingRuleId = (rule: string) => `finding/${rule}`;
export const budgetRuleId = (name: string) => `budget/${name}`;

export function renderSarif(report: Report): string {
  const rules: ReportingDescriptor[] = [
    ...FINDING_RULES.map((r) => ({
      id: findingRuleId(r),
      name: r,
      shortDescription: { text: FINDING_DOCS[r] },
      help: { text: `docs/findings.md#${r}` },
    })),
    ...Object.entries(BUDGET_DOCS).map(([name, text]) => ({
      id: budgetRuleId(name),
      name,
      shortDescription: { text },
      fullDescription: { text: report.budgets?.results.find((b) => b.name === name)?.description ?? text },
      help: { text: 'docs/budgets.md' },
    })),
  ];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const migrationFile = (id: string | null) => (id === null ? null : (report.migrations.find((m) => m.id === id)?.file ?? null) || null);
  const results: Result[] = [];
  for (const f of report.findings ?? []) {
    const id = findingRuleId(f.rule);
    results.push({
      ruleId: id,
      ruleIndex: index.get(id)!,
      level: f.severity === 'info' ? 'note' : f.severity,
      message: { text: clean(`${f.title}. ${f.advice}${f.suggestedSql ? `\n\nSuggested:\n${f.suggestedSql}` : ''}`) },
      locations: location(f.file ?? migrationFile(f.migrationId), f.line),
      properties: { migrationId: f.migrationId, statementIndex: f.statementIndex, evidence: f.evidence, mechanical: f.mechanical },
    });
  }
  for (const b of report.budgets?.results ?? []) {
    const id = budgetRuleId(b.name);
    if (!index.has(id)) continue;
    for (const v of b.violations) {
      results.push({
        ruleId: id,
        ruleIndex: index.get(id)!,
        level: 'error',
        message: { text: clean(v.message) },
        locations: location(v.file ?? migrationFile(v.migrationId), v.line),
        properties: { migrationId: v.migrationId, statementIndex: v.statementIndex, value: v.value, limit: b.limit, unit: b.unit },
      });
    }
  }
  const log: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'pg-rehearse', version: report.tool.version, rules } },
        originalUriBaseIds: { SRCROOT: { description: { text: 'the working directory of the run (the repository root)' } } },
        invocations: [
          {
            executionSuccessful: report.run.status !== 'error',
            exitCode: report.run.exitCode,
            startTimeUtc: report.run.startedAt,
            endTimeUtc: report.run.finishedAt,
          },
        ],
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

function location(file: string | null, line: number | null): Result['locations'] {
  if (!file) return [];
  const absolute = file.startsWith('/');
  const uri = absolute ? `file://${file.split('/').map(encodeURIComponent).join('/')}` : file.split(/[\\/]/).map(encodeURIComponent).join('/');
  return [
    {
      physicalLocation: {
        artifactLocation: { uri, ...(absolute ? {} : { uriBaseId: 'SRCROOT' }) },
        ...(line !== null && line > 0 ? { region: { startLine: line } } : {}),
      },
    },
  ];
}
