import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse } from '../src/rehearsal.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { silentLogger } from '../src/core/log.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/**
 * Command mode with a real migration CLI from npm: node-pg-migrate (devDependency) on SQL
 * migrations, run through npx against a scratch database of the shared test server, loaded from a
 * plain SQL "dump" in which its first migration is already recorded in pgmigrations.
 */
const fixture = path.resolve('test/fixtures-command/node-pg-migrate');
const base = path.join(fixture, 'base.sql');
const nodePgMigrate = (dir: string) => `npx node-pg-migrate up -m ${JSON.stringify(path.relative(process.cwd(), dir))}`;

function commandPlan(command: string, extra: Partial<ReturnType<typeof planOn>> = {}) {
  return {
    ...planOn(path.join(fixture, 'migrations')),
    migrations: { folder: null },
    load: { kind: 'dump' as const, path: base },
    migrateCommand: command,
    ...extra,
  };
}

describe('--migrate-command with node-pg-migrate', () => {
  it("captures the tool's statements, their locks, a lock held over 1 s with its duration, and the rewrite", async () => {
    const plan = { ...commandPlan(nodePgMigrate(path.join(fixture, 'migrations'))), migrations: { folder: path.join(fixture, 'migrations') } };
    const { report, exitCode } = await rehearse(plan, silentLogger);
    ReportSchema.parse(report);
    expect(report.run.error).toBeUndefined();
    expect(exitCode).toBe(0);

    // --migrations beside the command: what was pending, from node-pg-migrate's own tracking table
    expect(report.migrationSource).toMatchObject({ format: 'node-pg-migrate', trackingTable: 'pgmigrations', alreadyApplied: ['1700000000000'] });

    expect(report.migrations).toHaveLength(1);
    const m = report.migrations[0]!;
    expect(m).toMatchObject({ id: 'command', status: 'applied', file: '' });
    expect(m.command).toMatchObject({ capture: 'sampled', exitCode: 0, signal: null, backends: 1 });
    expect(m.command!.stdout).toContain('Migrations complete!');
    expect(m.command!.samples).toBeGreaterThan(50);

    // node-pg-migrate sends each migration file as one query: the ALTER and the pg_sleep together
    const alter = m.statements.find((s) => s.sql.includes('ADD COLUMN x'))!;
    expect(alter).toMatchObject({ index: 0, kind: 'AlterTableStmt; SelectStmt', lockSource: 'sampled', inTransaction: true, line: 0 });
    expect(alter.locks).toContainEqual({ relation: 't', mode: 'AccessExclusiveLock', relkind: 'r' });
    expect(alter.strongestLocks).toContainEqual({ relation: 't', mode: 'AccessExclusiveLock' });
    expect(alter.durationMs).toBeGreaterThanOrEqual(1150);
    expect(alter.lockHeldMs).toBeGreaterThanOrEqual(1000);
    expect(alter.lockHeldMs).toBeGreaterThanOrEqual(alter.durationMs);

    const bigint = m.statements.find((s) => s.sql.includes('TYPE bigint'))!;
    expect(bigint.index).toBe(1);
    expect(bigint.rewrites.map((r) => r.relation)).toContain('t');
    expect(m.command!.rewrites).toContainEqual(expect.objectContaining({ relation: 't', statementIndex: 1 }));
    expect(report.summary.rewrites).toBeGreaterThanOrEqual(1);

    // the tool's bookkeeping (advisory lock, pgmigrations, BEGIN/COMMIT, catalog reads) is left out
    for (const s of m.statements) expect(s.sql).not.toMatch(/pgmigrations|^\s*(BEGIN|COMMIT)\b|advisory/i);
    expect(m.statements).toHaveLength(2);
    expect(report.summary.longestLockHold).toMatchObject({ migrationId: 'command', statementIndex: 0 });
    // the schema diff sees what the tool did
    expect(report.schemaDiff!.added.map((a) => a.object)).toContain('column:public.t.x');
  });

  it('a failing command: status failed, exit 1, its stderr in the report', async () => {
    const dir = filesIn({
      '1700000000000_create-t.sql': '-- Up Migration\nCREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);\n',
      '1700000300000_broken.sql': '-- Up Migration\nALTER TABLE no_such_table ADD COLUMN y int;\n',
    });
    const { report, exitCode } = await rehearse(commandPlan(nodePgMigrate(dir)), silentLogger);
    ReportSchema.parse(report);
    expect(exitCode).toBe(1);
    expect(report.run.status).toBe('failed');
    const m = report.migrations[0]!;
    expect(m.status).toBe('failed');
    expect(m.command!.exitCode).toBe(1);
    expect(m.command!.stderr).toContain('relation "no_such_table" does not exist');
    expect(report.migrationSource).toBeNull();
  });

  it('a tool that ignores PGAPPNAME is captured all the same (any new backend not tagged rehearse/)', async () => {
    const dir = filesIn({ 'm.sql': 'BEGIN;\nLOCK TABLE t IN SHARE MODE;\nSELECT pg_sleep(0.4);\nCOMMIT;\n' });
    const command = `PGAPPNAME=some-tool psql -X -q -v ON_ERROR_STOP=1 -f ${JSON.stringify(path.join(dir, 'm.sql'))}`;
    const { report, exitCode } = await rehearse(commandPlan(command), silentLogger);
    ReportSchema.parse(report);
    expect(exitCode).toBe(0);
    const m = report.migrations[0]!;
    const sleep = m.statements.find((s) => s.sql.includes('pg_sleep'))!;
    expect(sleep).toBeDefined();
    expect(sleep.durationMs).toBeGreaterThanOrEqual(350);
    // psql sends statements one by one: the quick LOCK may be missed, its lock is not
    const lockedBy = m.statements.find((s) => s.locks.some((l) => l.relation === 't' && l.mode === 'ShareLock'));
    expect(lockedBy).toBeDefined();
    expect(lockedBy!.lockHeldMs).toBeGreaterThanOrEqual(350);
  });

  it('an unknown command is a usage error before any server starts', async () => {
    const started = Date.now();
    const { report, exitCode } = await rehearse(commandPlan('no-such-migration-tool up'), silentLogger);
    expect(exitCode).toBe(2);
    expect(report.run.error!.message).toContain('"no-such-migration-tool" is not found');
    expect(report.run.error!.hint).toContain('install the migration tool');
    expect(report.postgres).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('--migrate-command with a workload', () => {
  it('blocking is attributed to the command’s statement; probes before and after the command', async () => {
    const workload = path.join(
      filesIn({
        'w.yaml': [
          'apps:',
          '  old:',
          '    clients: 2',
          '    queries:',
          '      - name: get_t',
          '        sql: SELECT id, name FROM t WHERE id = $1',
          '        params: [{ int: [1, 20000] }]',
          '        rate: 40',
        ].join('\n'),
      }),
      'w.yaml',
    );
    const dir = filesIn({
      '1700000000000_create-t.sql': '-- Up Migration\nCREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);\n',
      '1700000100000_add-x-slowly.sql': '-- Up Migration\nALTER TABLE t ADD COLUMN x int; SELECT pg_sleep(1.2);\n',
    });
    const plan = commandPlan(nodePgMigrate(dir), { traffic: { workload, sampleMs: 10, warmupMs: 500, cooldownMs: 300 } });
    const { report, exitCode } = await rehearse(plan, silentLogger);
    ReportSchema.parse(report);
    expect(exitCode).toBe(0);
    expect(report.compatibility!.states).toEqual(['initial', 'command']);
    const waits = report.blocking.filter((b) => b.app === 'old' && b.query === 'get_t' && b.migrationId === 'command');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]).toMatchObject({ blockerKind: 'migration', statementIndex: 0, migrationRole: 'holds' });
    expect(Math.max(...waits.map((w) => w.waitMs))).toBeGreaterThan(800);
    const alter = report.migrations[0]!.statements[0]!;
    expect(alter.blockedQueries).toBeGreaterThan(0);
    expect(alter.maxBlockedMs).toBeGreaterThan(800);
    const phases = report.workload!.apps[0]!.queries[0]!.phases.map((p) => p.phase);
    expect(phases).toContain('command#0');
  });
});
