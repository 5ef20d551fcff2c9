import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/core/errors.ts';
import { readMigrations } from '../src/migrations/index.ts';
import { cutScript } from '../src/migrations/psql.ts';
import { rejection } from './helpers/errors.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** a folder with these files (paths may hold a subfolder) */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rehearse-psql-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

describe('COPY … FROM stdin rows and psql meta-commands', () => {
  it('cuts the rows after COPY … FROM stdin and meta-command lines; lines stay lines of the file', async () => {
    const text = [
      '\\set ON_ERROR_STOP 1', // 1
      'CREATE TABLE t (a int, b text); -- a comment; with a semicolon', // 2
      'COPY t (a, b) FROM STDIN WITH (FORMAT text);', // 3
      "1\tit's", // 4
      '2\t\\N', // 5
      '\\.', // 6
      'SELECT 1;', // 7
    ].join('\n');
    const pieces = await cutScript(text, 'f.sql', 0);
    expect(pieces).toEqual([
      { kind: 'sql', text: '', lineOffset: 0 },
      { kind: 'meta', command: '\\set ON_ERROR_STOP 1', line: 1 },
      { kind: 'sql', text: 'CREATE TABLE t (a int, b text); -- a comment; with a semicolon\nCOPY t (a, b) FROM STDIN WITH (FORMAT text);\n', lineOffset: 1 },
      { kind: 'copy-data', data: "1\tit's\n2\t\\N\n", line: 4 },
      { kind: 'sql', text: 'SELECT 1;', lineOffset: 6 },
    ]);
  });

  it('a backslash or "FROM stdin" inside a string, a function body or a comment is SQL', async () => {
    const text = [
      'CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$',
      "\\set not a meta-command; 'COPY x FROM stdin;'",
      '$body$;',
      "SELECT E'\\\\ COPY t FROM stdin;';",
      '-- COPY t FROM stdin;',
    ].join('\n');
    expect(await cutScript(text, 'f.sql', 0)).toEqual([{ kind: 'sql', text, lineOffset: 0 }]);
  });

  it('plain files (run with psql): rows replayed, harmless meta-commands skipped, others refused with the reason', async () => {
    const ok = await folder({ '001_init.sql': '\\echo loading\nCREATE TABLE t (a int);\nCOPY t FROM stdin;\n1\n2\n\\.\n' });
    const set = await readMigrations(ok, {});
    expect(set.migrations[0]!.up.statements.map((s) => [s.line, s.kind, s.copyData])).toEqual([
      [2, 'CreateStmt', undefined],
      [3, 'CopyStmt', '1\n2\n'],
    ]);
    const include = await folder({ '001_init.sql': 'CREATE TABLE t (a int);\n\\i seed.sql\n' });
    const err = await rejection(readMigrations(include, {}));
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toBe(
      `${path.join(include, '001_init.sql')}:2: psql meta-command \\i is not replayed: it runs another file; inline that file in the migration`,
    );
  });

  it('tools that do not run psql: COPY rows and meta-commands refused, naming the file and line', async () => {
    const diesel = await folder({
      '2024-01-01-000000_seed/up.sql': 'CREATE TABLE t (a int);\nCOPY t FROM stdin;\n1\n\\.\n',
      '2024-01-01-000000_seed/down.sql': 'DROP TABLE t;\n',
    });
    const copy = await rejection(readMigrations(diesel, {}));
    expect(copy.exitCode).toBe(ExitCode.usage);
    expect(copy.message).toBe(
      `${path.join(diesel, '2024-01-01-000000_seed/up.sql')}:2: COPY … FROM stdin with inline rows: diesel sends the file through a driver that cannot feed them, so the migration would fail there`,
    );
    const goose = await folder({ '00001_a.sql': '-- +goose Up\n\\set ON_ERROR_STOP 1\nCREATE TABLE t (a int);\n' });
    const meta = await rejection(readMigrations(goose, {}));
    expect(meta.message).toBe(
      `${path.join(goose, '00001_a.sql')}:2: psql meta-command \\set: goose does not run its files through psql, so the server would get it as SQL and fail`,
    );
  });
});
