import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { main } from '../src/cli/index.ts';
import { processesUsing, runDirs, until } from './helpers/leftovers.ts';
import { runWorkspace, spawnRun, writeFiles } from './helpers/spawn-run.ts';

/**
 * rehearse capture end to end, as a user runs it: a script sends four statements (one reading a
 * column only the migrated schema has) to the scratch database at the migrated schema; the four
 * are in new-app.json; `rehearse workload --from prod-stats.json --new new-app.json` writes old and
 * new; a run with that workload shows the new app breaking at the state before the column exists.
 */
const { work, root, env, started } = runWorkspace('capture');
// the in-process runs: this file's run root, no snapshots
const saved = { root: process.env.PG_REHEARSE_RUN_ROOT, cache: process.env.PG_REHEARSE_NO_CACHE };
process.env.PG_REHEARSE_RUN_ROOT = root;
process.env.PG_REHEARSE_NO_CACHE = '1';
afterAll(() => {
  for (const [k, v] of [
    ['PG_REHEARSE_RUN_ROOT', saved.root],
    ['PG_REHEARSE_NO_CACHE', saved.cache],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

/** The CLI in this process (no Node start per command), its stdout and stderr captured; paths relative to the workspace. */
async function cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const into = (key: 'stdout' | 'stderr') => (chunk: string | Uint8Array) => {
    out[key] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(into('stdout')), vi.spyOn(process.stderr, 'write').mockImplementation(into('stderr'))];
  const cwd = process.cwd();
  process.chdir(work);
  try {
    return { exitCode: await main(['node', 'rehearse', ...args]), ...out };
  } finally {
    process.chdir(cwd);
    for (const s of spies) s.mockRestore();
    process.exitCode = undefined;
  }
}

const migrations = writeFiles(path.join(work, 'mig'), { '001_nickname.sql': 'ALTER TABLE users ADD COLUMN nickname text;\n' });
const pgModule = JSON.stringify(path.resolve('node_modules/pg/lib/index.js'));
const FOUR = [
  'SELECT id, name FROM users WHERE id = $1',
  'SELECT id, name, nickname FROM users WHERE id = $1',
  'SELECT count(*) FROM orders WHERE user_id = $1',
  'UPDATE users SET name = $1 WHERE id = $2',
];
writeFiles(work, {
  // as a test suite would: DATABASE_URL, a few calls each, literals sent as parameters; BEGIN/COMMIT are left out (utility)
  'script.mjs': `
const { default: pg } = await import(${pgModule});
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
for (let id = 1; id <= 3; id++) {
  await client.query(${JSON.stringify(FOUR[0])}, [id]);
  await client.query(${JSON.stringify(FOUR[1])}, [id]);
  await client.query(${JSON.stringify(FOUR[2])}, [id]);
}
await client.query('BEGIN');
await client.query(${JSON.stringify(FOUR[3])}, ['a secret name', 2]);
await client.query('COMMIT');
await client.end();
console.log('script: done on ' + process.env.PGDATABASE);
`,
  // production as rehearse stats --window records it, written by hand: three of the statements
  'prod-stats.json': JSON.stringify({
    kind: 'pg-rehearse-stats',
    version: 1,
    tables: {
      'public.users': { rows: 200, columns: { id: { nDistinct: -1 }, name: { nDistinct: -0.5 } }, columnTypes: { id: 'bigint', name: 'text' } },
      'public.orders': { rows: 200, columns: { user_id: { nDistinct: -0.5 } }, columnTypes: { id: 'integer', user_id: 'bigint' } },
    },
    traffic: {
      windowMs: 10_000,
      statements: [
        { queryid: '101', text: FOUR[0], command: 'SELECT', calls: 200, callsPerSec: 20, rowsPerCall: 1, meanMs: 0.1, tables: ['public.users'] },
        { queryid: '102', text: FOUR[2], command: 'SELECT', calls: 100, callsPerSec: 10, rowsPerCall: 1, meanMs: 0.2, tables: ['public.orders'] },
        { queryid: '103', text: FOUR[3], command: 'UPDATE', calls: 20, callsPerSec: 2, rowsPerCall: 1, meanMs: 0.3, tables: ['public.users'] },
      ],
    },
  }),
});

describe('rehearse capture', () => {
  it('records the four statements at the migrated schema; workload --new; the matrix breaks the new app before the column exists', {
    timeout: 240_000,
  }, async () => {
    const captured = await cli([
      'capture',
      '--fixture',
      'shop',
      '--scale',
      '200',
      '--migrations',
      migrations,
      '--out',
      'new-app.json',
      '--',
      'node',
      'script.mjs',
    ]);
    expect(captured.exitCode, captured.stderr).toBe(0);
    expect(captured.stdout).toContain('script: done on rehearse'); // its output passed through
    expect(captured.stderr).toMatch(/4 statements captured in new-app.json \(left out: 2 utility\)/);
    const file = JSON.parse(fs.readFileSync(path.join(work, 'new-app.json'), 'utf8'));
    const statements = file.traffic.statements as { text: string; calls: number; command: string; tables: string[] }[];
    expect(statements.map((s) => s.text).sort()).toEqual([...FOUR].sort());
    expect(statements.find((s) => s.text === FOUR[1])).toMatchObject({ calls: 3, command: 'SELECT', tables: ['public.users'] });
    expect(JSON.stringify(file)).not.toContain('a secret name');
    expect(runDirs(root)).toEqual([]); // its server stopped, its folder removed

    const derived = await cli(['workload', '--from', 'prod-stats.json', '--new', 'new-app.json', '--out', 'workload.yaml']);
    expect(derived.exitCode, derived.stderr).toBe(0);
    const yaml = fs.readFileSync(path.join(work, 'workload.yaml'), 'utf8');
    expect(yaml).toMatch(/new: the same statement but for the columns it reads or writes as production's queryid 101: its rate, 20\/s/);
    expect(yaml).toMatch(/new: the same statement as production's queryid 102: its rate, 10\/s/);

    const out = path.join(work, 'out');
    const run = await cli([
      'run',
      '--database-url',
      inject('pgUrl'),
      '--fixture',
      'shop',
      '--scale',
      '200',
      '--migrations',
      migrations,
      '--workload',
      'workload.yaml',
      '--warmup',
      '300ms',
      '--cooldown',
      '300ms',
      '--no-budgets',
      '--format',
      'json',
      '--out',
      out,
      '--quiet',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    const matrix = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).compatibility;
    expect(matrix.states).toEqual(['initial', '001']);
    const cell = (app: string, state: string) => matrix.cells.find((c: { app: string; state: string }) => c.app === app && c.state === state);
    expect(cell('old', 'initial').ok).toBe(true);
    expect(cell('old', '001').ok).toBe(true);
    expect(cell('new', 'initial').ok).toBe(false);
    expect(cell('new', 'initial').failures).toEqual([expect.objectContaining({ sqlstate: '42703' })]);
    expect(cell('new', '001').ok).toBe(true);
    expect(matrix.newAppFirstState).toBe('001');
  });

  it('bad input: nothing after --, a command not found: exit 2 before any server starts; a server without pg_stat_statements: exit 3', async () => {
    const none = await cli(['capture', '--empty', '--migrations', migrations, '--']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('no command to capture: nothing after --');
    const missing = await cli(['capture', '--empty', '--migrations', migrations, '--', 'no-such-program-4711', '--version']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('the command "no-such-program-4711" is not found');
    // a server that does not preload pg_stat_statements (the shared test server): exit 3, how to enable it
    const url = await cli(['capture', '--database-url', inject('pgUrl'), '--empty', '--migrations', migrations, '--', 'node', '--version']);
    expect(url.exitCode).toBe(3);
    expect(url.stderr).toMatch(/does not load pg_stat_statements: the statements cannot be recorded\n.*shared_preload_libraries/);
    expect(url.stderr).not.toContain(new URL(inject('pgUrl')).password);
    expect(runDirs(root)).toEqual([]);
  });

  it('kill -9 of the tool while the command runs: the server, its folder and the command are gone', { timeout: 120_000 }, async () => {
    const marker = `capture-kill-${process.pid}`;
    const fresh = writeFiles(path.join(work, 'mig-fresh'), { '001_k.sql': 'CREATE TABLE k (id int);\n' });
    const r = spawnRun(
      ['capture', '--empty', '--migrations', fresh, '--out', path.join(work, 'killed.json'), '--', 'node', '-e', 'setTimeout(() => {}, 300000)', marker],
      env,
    );
    started.push(r);
    await r.waitFor(/running node -e/, 90_000);
    await until(() => (processesUsing(marker).length ? [] : ['not yet']), 10_000);
    // the command runs, its watchdog is up
    const group = processesUsing(marker)[0]!.split(' ')[0]!;
    await until(() => (processesUsing('pg-rehearse-capture-watchdog').some((p) => p.trim().endsWith(` ${group}`)) ? [] : ['not yet']), 10_000);
    expect(runDirs(root)).toHaveLength(1);
    r.child.kill('SIGKILL');
    await r.child;
    // the server's guardian stops it and removes its folder; the watchdog stops the command's group
    expect(await until(() => [...runDirs(root), ...processesUsing(marker), ...processesUsing(root)], 30_000)).toEqual([]);
  });
});
