import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/log.ts';
import { provision, type Instance } from '../src/provision/index.ts';
import { rehearse } from '../src/rehearsal.ts';
import type { Finding, Report } from '../src/report/index.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { rehearseSuggestion } from '../src/suggest/index.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/**
 * Issue 26: every measured rewrite of a table with rows is a finding naming its cause and safe
 * pattern, on PostgreSQL 17 (the shared test server) and 18 (started once here). Small tables: the
 * rewrite is measured by the relfilenode, not by its duration.
 */
const DATA =
  'CREATE TABLE r (id int PRIMARY KEY, a int NOT NULL);\nINSERT INTO r SELECT g, g % 100 FROM generate_series(1, 3000) g;\n' +
  'CREATE UNLOGGED TABLE u (id int PRIMARY KEY, a int);\nINSERT INTO u SELECT g, g FROM generate_series(1, 3000) g;\nVACUUM ANALYZE;\n';

const MIGRATIONS = {
  '001_stored.sql': 'ALTER TABLE r ADD COLUMN s int GENERATED ALWAYS AS (a * 2) STORED;\n',
  '002_volatile.sql': 'ALTER TABLE r ADD COLUMN d timestamptz DEFAULT clock_timestamp();\n',
  '003_constant.sql': 'ALTER TABLE r ADD COLUMN k int NOT NULL DEFAULT 7;\n',
  '004_logged.sql': 'ALTER TABLE u SET LOGGED;\n',
  '005_vacuum.sql': 'VACUUM FULL r;\n',
  '006_truncate.sql': 'TRUNCATE u;\n',
};

let pg18: Instance | undefined;

/** Another engineer may be installing the 18 binaries at this moment: wait and retry. */
async function provision18(): Promise<Instance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await provision({ provider: 'embedded', postgresMajor: 18 }, silentLogger);
    } catch (err) {
      if (attempt >= 4) throw err;
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    }
  }
}

function planFor(url: string | null, files: Record<string, string>) {
  const dump = path.join(filesIn({ 'data.sql': DATA }), 'data.sql');
  const plan = planOn(filesIn(files), { load: { kind: 'dump', path: dump } });
  if (url) plan.provision = { ...plan.provision, databaseUrl: url } as typeof plan.provision;
  return plan;
}

async function rehearseOn(url: string | null, files: Record<string, string>): Promise<Report> {
  const { report } = await rehearse(planFor(url, files), silentLogger);
  ReportSchema.parse(report);
  return report;
}

const reports: Record<number, Report> = {};

beforeAll(async () => {
  pg18 = await provision18();
  const [r17, r18] = await Promise.all([
    rehearseOn(null, MIGRATIONS),
    rehearseOn(pg18.url, { ...MIGRATIONS, '007_virtual.sql': 'ALTER TABLE r ADD COLUMN v int GENERATED ALWAYS AS (a * 3) VIRTUAL;\n' }),
  ]);
  reports[17] = r17;
  reports[18] = r18;
}, 240_000);

afterAll(async () => {
  await pg18?.stop();
});

const rewritesOf = (r: Report, id: string): Finding[] => r.findings!.filter((f) => f.rule === 'table-rewrite' && f.migrationId === id);

describe.each([17, 18])('PostgreSQL %i: one table-rewrite finding per measured rewrite, with its cause and pattern', (major) => {
  it('ran on that major, every migration applied', () => {
    const r = reports[major]!;
    expect(r.postgres!.major).toBe(major);
    expect(r.migrations.map((m) => m.status)).toEqual(r.migrations.map(() => 'applied'));
  });

  it('STORED generated column: a rewrite; the pattern is VIRTUAL (18+) or a plain column, a trigger and a batched backfill', () => {
    const r = reports[major]!;
    expect(r.migrations.find((m) => m.id === '001')!.statements[0]!.rewrites.length).toBeGreaterThan(0);
    const [f, ...more] = rewritesOf(r, '001');
    expect(more).toEqual([]);
    expect(f).toMatchObject({
      evidence: { table: 'r', cause: 'stored-generated-column', column: 's', rows: 3000, lockMode: 'AccessExclusiveLock' },
      mechanical: false,
    });
    expect(f!.advice).toMatch(/VIRTUAL/);
    expect(f!.advice).toMatch(/trigger/);
    expect(f!.suggestedSql).toContain('BEFORE INSERT OR UPDATE ON r');
    expect(f!.suggestedSql).toContain('(SELECT a * 2 FROM (SELECT NEW.*) AS r)');
  });

  it('volatile default: add the column, set the default, backfill in batches (mechanical)', () => {
    const [f, ...more] = rewritesOf(reports[major]!, '002');
    expect(more).toEqual([]);
    expect(f).toMatchObject({ evidence: { table: 'r', cause: 'volatile-default', column: 'd', rows: 3000 }, mechanical: true });
    expect(f!.suggestedSql).toMatch(
      /^BEGIN;\nALTER TABLE r ADD COLUMN d timestamptz;\nALTER TABLE r ALTER COLUMN d SET DEFAULT clock_timestamp\(\);\nCOMMIT;\n/,
    );
    expect(f!.suggestedSql).toContain('UPDATE r SET d = clock_timestamp()');
    expect(f!.suggestedSql).toContain('AND (d IS NULL)');
  });

  it('a non-volatile default rewrites nothing: no finding', () => {
    const r = reports[major]!;
    expect(r.migrations.find((m) => m.id === '003')!.statements[0]!.rewrites).toEqual([]);
    expect(r.findings!.filter((f) => f.migrationId === '003')).toEqual([]);
  });

  it('SET LOGGED and VACUUM FULL: a rewrite each, with their own pattern', () => {
    const [logged] = rewritesOf(reports[major]!, '004');
    expect(logged).toMatchObject({ evidence: { table: 'u', cause: 'set-logged', rows: 3000 } });
    expect(logged!.advice).toMatch(/WAL/);
    const [vacuum] = rewritesOf(reports[major]!, '005');
    expect(vacuum).toMatchObject({ evidence: { table: 'r', cause: 'vacuum-full', rows: 3000 } });
    expect(vacuum!.advice).toMatch(/pg_repack/);
  });

  it('TRUNCATE is not a rewrite', () => {
    expect(rewritesOf(reports[major]!, '006')).toEqual([]);
  });
});

describe('PostgreSQL 18: a VIRTUAL generated column', () => {
  it('rewrites nothing: no finding', () => {
    const r = reports[18]!;
    expect(r.migrations.find((m) => m.id === '007')!.statements[0]!.rewrites).toEqual([]);
    expect(r.findings!.filter((f) => f.migrationId === '007')).toEqual([]);
  });
});

describe('--suggest: the volatile default rewritten and rehearsed', () => {
  it('applies, changes the schema as the original did, and rewrites nothing', async () => {
    const plan = planFor(null, { '001_volatile.sql': MIGRATIONS['002_volatile.sql'] });
    const { report } = await rehearse(plan, silentLogger);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-rewrite-'));
    try {
      const suggestion = await rehearseSuggestion(plan, report, out, silentLogger, rehearse);
      expect(suggestion).toMatchObject({ status: 'passed', sameSchema: true, rewrites: [expect.objectContaining({ rule: 'table-rewrite' })] });
      const after = JSON.parse(fs.readFileSync(suggestion!.report, 'utf8')) as Report;
      // no statement of the suggestion rewrote r
      expect(after.migrations.flatMap((m) => m.statements).flatMap((s) => s.rewrites)).toEqual([]);
      expect(after.findings!.filter((f) => f.rule === 'table-rewrite')).toEqual([]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
