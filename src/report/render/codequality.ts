import { createHash } from 'node:crypto';
import type { Report } from '../model/types.ts';
import { baseLine, clean } from '../format/text.ts';

/**
 * GitLab Code Quality (`--format codequality`, gl-code-quality-report.json): the Code Climate
 * issue subset GitLab reads — one entry per finding and per budget violation, with description,
 * check_name, fingerprint, severity and location (path, lines.begin), so the merge request shows
 * each on the migration's line. Paths are kept as the run saw them (run from the repository root
 * with a relative --migrations, as for SARIF). A pure function of the report.
 *
 * The fingerprint is what GitLab matches between the base and the head pipeline: it hashes only
 * what does not change between two runs of the same migrations — the check, the file, the
 * migration, the statement and the entry's rank among those with the same key — never a measured
 * figure.
 */
export interface CodeQualityIssue {
  type: 'issue';
  check_name: string;
  description: string;
  categories: string[];
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  fingerprint: string;
  location: { path: string; lines: { begin: number } };
}

const SEVERITY = { error: 'critical', warning: 'major', info: 'info' } as const;

export function codeQualityIssues(report: Report): CodeQualityIssue[] {
  const fileOf = (id: string | null) => (id === null ? '' : (report.migrations.find((m) => m.id === id)?.file ?? ''));
  const seen = new Map<string, number>();
  const fingerprint = (...key: (string | number | null)[]) => {
    const k = JSON.stringify(key);
    const rank = seen.get(k) ?? 0;
    seen.set(k, rank + 1);
    return createHash('md5').update(`${k}#${rank}`).digest('hex');
  };
  const where = (migrationId: string | null, file: string, line: number | null) =>
    file ? baseLine(file, line) : migrationId !== null ? `migration ${migrationId}` : 'the run';
  const out: CodeQualityIssue[] = [];
  for (const f of report.findings ?? []) {
    const file = f.file ?? fileOf(f.migrationId);
    out.push({
      type: 'issue',
      check_name: `pg-rehearse/finding/${f.rule}`,
      description: clean(`${where(f.migrationId, file, f.line)}: ${f.title}. ${f.advice}`),
      categories: ['Performance'],
      severity: SEVERITY[f.severity],
      fingerprint: fingerprint('finding', f.rule, file, f.migrationId, f.statementIndex),
      location: { path: file || '.', lines: { begin: f.line ?? 1 } },
    });
  }
  for (const b of report.budgets?.results ?? []) {
    for (const v of b.violations) {
      const file = v.file ?? fileOf(v.migrationId);
      out.push({
        type: 'issue',
        check_name: `pg-rehearse/budget/${b.name}`,
        description: clean(`${where(v.migrationId, file, v.line)}: budget ${b.name}${b.on ? ` (${b.on})` : ''} failed: ${v.message}`),
        categories: ['Performance'],
        severity: 'critical',
        fingerprint: fingerprint('budget', b.name, b.on ?? 'measured', file, v.migrationId, v.statementIndex),
        location: { path: file || '.', lines: { begin: v.line ?? 1 } },
      });
    }
  }
  return out;
}

export function renderCodeQuality(report: Report): string {
  return JSON.stringify(codeQualityIssues(report), null, 2) + '\n';
}
