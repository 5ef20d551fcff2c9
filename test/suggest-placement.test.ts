import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/log.ts';
import { rehearse } from '../src/rehearsal.ts';
import type { Report } from '../src/report/index.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { rehearseSuggestion } from '../src/suggest/index.ts';
import { placeOutsideTransactions } from '../src/suggest/placement.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/**
 * Issue 25: a plain CREATE INDEX among other statements of a file the tool runs as one script or
 * transaction → the suggested folder holds the CONCURRENTLY build in a migration of its own, named
 * and ordered as the tool expects, with the tool's no-transaction marker; the statements after it
 * in a further migration; the suggestion's rehearsal applies it outside a transaction.
 */
const INIT = 'CREATE TABLE t (id int PRIMARY KEY, a int);\nINSERT INTO t SELECT g, g % 50 FROM generate_series(1, 3000) g;\n';
const SPLIT = 'ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX t_a_idx ON t (a);\nALTER TABLE t ADD COLUMN c int;\n';

interface Case {
  tool: string;
  /** files of the project, and the migration folder inside it */
  files: Record<string, string>;
  folder: string;
  /** in the suggested folder: the file holding the CONCURRENTLY build, and the one after it */
  index: string;
  after: string;
  /** what that file must carry to run outside a transaction */
  marker: (folder: string) => void;
}

const read = (...p: string[]) => fs.readFileSync(path.join(...p), 'utf8');

const CASES: Case[] = [
  {
    tool: 'prisma',
    files: {
      'migrations/migration_lock.toml': 'provider = "postgresql"\n',
      'migrations/20240101000000_init/migration.sql': INIT,
      'migrations/20240102000000_index/migration.sql': SPLIT,
    },
    folder: 'migrations',
    index: '20240102000001_index_part1/migration.sql',
    after: '20240102000002_index_part2/migration.sql',
    // Prisma has no marker: a one-statement script is not wrapped in a transaction
    marker: (f) => expect(read(f, '20240102000001_index_part1/migration.sql').trim()).toBe('CREATE INDEX CONCURRENTLY t_a_idx ON t (a);'),
  },
  {
    tool: 'golang-migrate',
    files: { 'm/1_init.up.sql': INIT, 'm/2_index.up.sql': SPLIT, 'm/3_more.up.sql': 'ALTER TABLE t ADD COLUMN d int;\n' },
    folder: 'm',
    index: '3_index_part1.up.sql',
    after: '4_index_part2.up.sql',
    // no room between 2 and 3: the later migration moved up
    marker: (f) => {
      expect(fs.readdirSync(f).sort()).toEqual(['1_init.up.sql', '2_index.up.sql', '3_index_part1.up.sql', '4_index_part2.up.sql', '5_more.up.sql']);
      expect(read(f, '3_index_part1.up.sql').trim()).toBe('CREATE INDEX CONCURRENTLY t_a_idx ON t (a);');
    },
  },
  {
    tool: 'flyway',
    files: { 'sql/V1__init.sql': INIT, 'sql/V2__index.sql': SPLIT },
    folder: 'sql',
    index: 'V2.1__index_part1.sql',
    after: 'V2.2__index_part2.sql',
    marker: (f) => expect(read(f, 'V2.1__index_part1.sql.conf')).toBe('executeInTransaction=false\n'),
  },
  {
    tool: 'goose',
    files: { 'db/00001_init.sql': `-- +goose Up\n${INIT}`, 'db/00002_index.sql': `-- +goose Up\n${SPLIT}\n-- +goose Down\nSELECT 1;\n` },
    folder: 'db',
    index: '00003_index_part1.sql',
    after: '00004_index_part2.sql',
    marker: (f) => {
      expect(read(f, '00003_index_part1.sql')).toMatch(/^-- \+goose NO TRANSACTION\n-- \+goose Up\n/);
      expect(read(f, '00002_index.sql')).toContain('-- +goose Down');
    },
  },
  {
    tool: 'dbmate',
    files: {
      'db/migrations/20240101000000_init.sql': `-- migrate:up\n${INIT}\n-- migrate:down\n`,
      'db/migrations/20240102000000_index.sql': `-- migrate:up\n${SPLIT}\n-- migrate:down\nSELECT 1;\n`,
    },
    folder: 'db/migrations',
    index: '20240102000001_index_part1.sql',
    after: '20240102000002_index_part2.sql',
    marker: (f) => expect(read(f, '20240102000001_index_part1.sql')).toMatch(/^-- migrate:up transaction:false\n/),
  },
  {
    tool: 'sqlx',
    files: { 'Cargo.toml': '[package]\nname = "app"\n', 'migrations/20240101000000_init.sql': INIT, 'migrations/20240102000000_index.sql': SPLIT },
    folder: 'migrations',
    index: '20240102000001_index_part1.sql',
    after: '20240102000002_index_part2.sql',
    marker: (f) => expect(read(f, '20240102000001_index_part1.sql')).toMatch(/^-- no-transaction\n/),
  },
];

const outs: string[] = [];
afterAll(() => {
  for (const o of outs) fs.rmSync(o, { recursive: true, force: true });
});

describe.concurrent.each(CASES)('$tool: a CREATE INDEX among other statements of one file', (c) => {
  it('is suggested CONCURRENTLY in a migration of its own, with the marker, and the suggestion applies it outside a transaction', async () => {
    const plan = planOn(path.join(filesIn(c.files), c.folder));
    const { report } = await rehearse(plan, silentLogger);
    expect(report.migrationSource!.format).toBe(c.tool);
    expect(report.findings!.map((f) => f.rule)).toContain('create-index-blocking');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-placement-'));
    outs.push(out);
    const suggestion = (await rehearseSuggestion(plan, report, out, silentLogger, rehearse))!;
    const f = suggestion.folder;
    expect(suggestion.placed!.map((p) => [path.relative(f, p.file), p.outside])).toEqual([
      [c.index, true],
      [c.after, false],
    ]);
    c.marker(f);
    expect(read(f, c.after)).toContain('ALTER TABLE t ADD COLUMN c int;');

    const after = JSON.parse(read(suggestion.report)) as Report;
    ReportSchema.parse(after);
    expect(after.run.error ?? null).toBeNull();
    expect(suggestion.status).toBe('passed');
    expect(after.migrationSource!.format).toBe(c.tool);
    expect(after.migrations.every((m) => m.status === 'applied')).toBe(true);
    const build = after.migrations.find((m) => path.resolve(m.file) === path.resolve(f, c.index))!;
    expect(build.statements.map((s) => [s.sql, s.inTransaction])).toEqual([['CREATE INDEX CONCURRENTLY t_a_idx ON t (a)', false]]);
    expect(build.statements[0]!.strongestLocks.find((l) => l.relation === 't')?.mode).toBe('ShareUpdateExclusiveLock');
    expect(suggestion.sameSchema).toBe(true);
  }, 60_000);
});

describe('two split files in a row of number versions', () => {
  it('the later one first: every version unique and in order, the renames reported', async () => {
    const dir = filesIn({
      '9_a.up.sql': 'ALTER TABLE t ADD COLUMN x int;\nCREATE INDEX CONCURRENTLY t_x ON t (x);\nALTER TABLE t ADD COLUMN y int;\n',
      '10_b.up.sql': 'ALTER TABLE t ADD COLUMN z int;\nCREATE INDEX CONCURRENTLY t_z ON t (z);\n',
      '11_c.up.sql': 'ALTER TABLE t ADD COLUMN w int;\n',
    });
    const at = (name: string) => path.join(dir, name);
    const { placed, renamed } = await placeOutsideTransactions('golang-migrate', [at('9_a.up.sql'), at('10_b.up.sql')]);
    expect(fs.readdirSync(dir).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))).toEqual([
      '9_a.up.sql',
      '10_a_part1.up.sql',
      '11_a_part2.up.sql',
      '12_b.up.sql',
      '13_b_part1.up.sql',
      '14_c.up.sql',
    ]);
    expect(read(dir, '13_b_part1.up.sql').trim()).toBe('CREATE INDEX CONCURRENTLY t_z ON t (z);');
    expect(read(dir, '12_b.up.sql').trim()).toBe('ALTER TABLE t ADD COLUMN z int;');
    expect(Object.fromEntries([...renamed].map(([a, b]) => [path.basename(a), path.basename(b)]))).toEqual({
      '10_b.up.sql': '12_b.up.sql',
      '11_c.up.sql': '14_c.up.sql',
    });
    expect(placed.map((p) => [path.basename(p.file), path.basename(p.from), p.outside])).toEqual([
      ['13_b_part1.up.sql', '12_b.up.sql', true],
      ['10_a_part1.up.sql', '9_a.up.sql', true],
      ['11_a_part2.up.sql', '9_a.up.sql', false],
    ]);
  });
});
