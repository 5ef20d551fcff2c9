import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/log.ts';
import { rehearse } from '../src/rehearsal.ts';
import type { Report } from '../src/report/index.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/**
 * Issue 26: nobody can wait on a relation its own transaction created (no other session sees it
 * until the commit), so no lock rule speaks of it; the same statements on a table an earlier
 * migration created and committed are judged as usual.
 */

/** ≥ 1.25 s: five rows, a 0.25 s sleep in the select list of each */
const SLOW_FILL = 'INSERT INTO t SELECT g + 0 * length(pg_sleep(0.25)::text) FROM generate_series(1, 5) g;\n';

async function run(files: Record<string, string>): Promise<Report> {
  const { report } = await rehearse(planOn(filesIn(files)), silentLogger);
  ReportSchema.parse(report);
  expect(report.migrations.every((m) => m.status === 'applied')).toBe(true);
  return report;
}

describe('relations created in the same transaction', () => {
  it('command mode (locks sampled from outside): the statements say what the transaction created', async () => {
    const dir = filesIn({
      'm.sql': 'BEGIN;\nCREATE TABLE t2 AS SELECT g + 0 * length(pg_sleep(0.1)::text) AS a FROM generate_series(1, 5) g;\nSELECT pg_sleep(1.2);\nCOMMIT;\n',
    });
    const plan = {
      ...planOn(dir),
      migrations: { folder: null },
      migrateCommand: `psql -X -q -v ON_ERROR_STOP=1 -f ${JSON.stringify(path.join(dir, 'm.sql'))}`,
    };
    const { report } = await rehearse(plan, silentLogger);
    ReportSchema.parse(report);
    const statements = report.migrations[0]!.statements;
    const create = statements.find((x) => x.sql.startsWith('CREATE TABLE t2'))!;
    // measured as held across the sleep…
    expect(create.strongestLocks.some((l) => l.relation === 't2' && l.mode === 'AccessExclusiveLock')).toBe(true);
    expect(create.lockHeldMs).toBeGreaterThanOrEqual(1000);
    // …and not a finding: nobody else could see t2
    expect(report.findings).toEqual([]);
  });

  it('create, index and fill slowly in one transaction: no finding; the trace names what the transaction created', async () => {
    const report = await run({ '001_t.sql': `CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);\n${SLOW_FILL}` });
    const fill = report.migrations[0]!.statements[2]!;
    expect(fill.durationMs).toBeGreaterThanOrEqual(1000);
    expect(fill.createdInTransaction).toEqual(expect.arrayContaining(['t', 't_a_idx']));
    // the table's lock was held across the slow fill, measured as such…
    expect(report.migrations[0]!.statements[0]!.lockHeldMs).toBeGreaterThanOrEqual(1000);
    // …and no rule speaks of it
    expect(report.findings).toEqual([]);
  });

  it('the same statements on a table an earlier migration created: judged as usual (its rows counted, an empty one info)', async () => {
    const report = await run({
      '001_t.sql': 'CREATE TABLE t (a int);\nINSERT INTO t SELECT g FROM generate_series(1, 3000) g;\nCREATE TABLE e (a int);\n',
      '002_fill.sql': `CREATE INDEX t_a_idx ON t (a);\nCREATE INDEX e_a_idx ON e (a);\n${SLOW_FILL}`,
    });
    expect(report.migrations[1]!.statements[0]!.createdInTransaction).toEqual(['t_a_idx']);
    const held = report.findings!.filter((f) => f.rule === 'lock-held-across-statements');
    expect(held).toEqual([
      expect.objectContaining({
        migrationId: '002',
        statementIndex: 0,
        severity: 'error',
        evidence: expect.objectContaining({ table: 't', lockMode: 'ShareLock' }),
      }),
      // e has no rows and no traffic: nothing could wait on it
      expect.objectContaining({
        migrationId: '002',
        statementIndex: 1,
        severity: 'info',
        evidence: expect.objectContaining({ table: 'e', lockMode: 'ShareLock' }),
      }),
    ]);
    const index = report.findings!.filter((f) => f.rule === 'create-index-blocking');
    expect(index).toEqual([expect.objectContaining({ migrationId: '002', statementIndex: 0, evidence: expect.objectContaining({ table: 't', rows: 3000 }) })]);
  });
});
