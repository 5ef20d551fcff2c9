import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { main } from '../src/cli/index.ts';
import { dockerUp, containersOf, processesUsing, runDirs, scratchDatabasesOf } from './helpers/leftovers.ts';

/**
 * The bad-input corpus: one row per way a user can get the input wrong, each with the exit code,
 * a fragment of the one message it must print, and "nothing left" (no process on the run root, no
 * data directory, no container, no scratch database of this process). The CLI runs in-process
 * (main(argv)), so a case that fails before a server starts costs milliseconds; cases that need a
 * server use the shared test server through --database-url (a scratch database, dropped).
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-corpus-'));
fs.chmodSync(work, 0o755);
const root = path.join(work, 'runs');
const savedRoot = process.env.PG_REHEARSE_RUN_ROOT;
let docker = false;
beforeAll(async () => {
  process.env.PG_REHEARSE_RUN_ROOT = root;
  docker = process.env.REHEARSE_CONTAINER_TESTS === '1' && (await dockerUp());
  if (docker) {
    // as test/container.test.ts: the engine is on this machine, pg-rehearse removes its own containers
    process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  }
});
afterAll(() => {
  if (savedRoot === undefined) delete process.env.PG_REHEARSE_RUN_ROOT;
  else process.env.PG_REHEARSE_RUN_ROOT = savedRoot;
  fs.rmSync(work, { recursive: true, force: true });
});

const file = (name: string, content: string | Buffer): string => {
  const p = path.join(work, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
};
const folder = (name: string, files: Record<string, string>): string => {
  const dir = path.join(work, name);
  for (const [n, text] of Object.entries(files)) file(path.join(name, n), text);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
};
/** A pg_dump archive header: PGDMP, version major.minor.rev, intSize 4, offSize 8, format. */
const archiveHeader = (minor: number, format = 1) => Buffer.from([...Buffer.from('PGDMP'), 1, minor, 0, 4, 8, format, 0, 0, 0, 0]);
/** a tar member header (ustar) named `name` with `body` */
function tarWith(name: string, body: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}

interface Case {
  name: string;
  args: () => string[];
  exit: number;
  message: RegExp;
  /** only when a Docker engine answers and REHEARSE_CONTAINER_TESTS=1 (as test/container.test.ts) */
  needsDocker?: boolean;
}

const workload = () => file('ok.yaml', 'apps:\n  old:\n    queries:\n      - name: q\n        sql: SELECT 1\n');
const ok = () => folder('ok-migrations', { '001_a.sql': 'CREATE TABLE a (id int);\n' });
const url = () => inject('pgUrl');
const wrongPassword = () => {
  const u = new URL(url());
  u.password = 'not-the-password';
  return u.toString();
};
/** a run on the shared test server (scratch database) with a small dataset of its own */
const onServer = (...args: string[]) => ['run', '--database-url', url(), ...args];

const CASES: Case[] = [
  // ---- dumps: corrupt, truncated, empty, of each format; newer than the tools; missing role ----
  {
    name: 'missing dump',
    args: () => ['run', '--dump', path.join(work, 'nope.dump'), '--migrations', ok()],
    exit: 2,
    message: /dump .*nope\.dump does not exist/,
  },
  {
    name: 'empty dump file',
    args: () => ['run', '--dump', file('empty.dump', ''), '--migrations', ok()],
    exit: 2,
    message: /empty\.dump is not a PostgreSQL dump[\s\S]*the file is empty/,
  },
  {
    name: 'binary junk',
    args: () => ['run', '--dump', file('junk.dump', Buffer.from([0, 1, 2, 3, 255, 254, 0, 7])), '--migrations', ok()],
    exit: 2,
    message: /junk\.dump is not a PostgreSQL dump/,
  },
  {
    name: 'custom archive cut inside its header',
    args: () => ['run', '--dump', file('cut-header.dump', archiveHeader(14).subarray(0, 8)), '--migrations', ok()],
    exit: 2,
    message: /header is cut short/,
  },
  {
    name: 'custom archive truncated after its header',
    args: () => onServer('--dump', file('truncated.dump', archiveHeader(14)), '--migrations', ok()),
    exit: 3,
    message: /pg_restore cannot read .*truncated\.dump/,
  },
  {
    name: 'custom archive of a newer pg_dump than the tools',
    args: () => onServer('--dump', file('newer.dump', archiveHeader(16)), '--migrations', ok()),
    exit: 3,
    message: /newer|pg_restore/,
  },
  {
    name: 'tar file without toc.dat',
    args: () => ['run', '--dump', file('notdump.tar', tarWith('hello.txt', Buffer.from('hi\n'))), '--migrations', ok()],
    exit: 2,
    message: /notdump\.tar is not a PostgreSQL dump[\s\S]*without a pg_dump toc\.dat/,
  },
  {
    name: 'tar archive truncated',
    args: () => onServer('--dump', file('truncated.tar', tarWith('toc.dat', archiveHeader(14, 3))), '--migrations', ok()),
    exit: 3,
    message: /truncated\.tar/,
  },
  {
    name: 'directory without toc.dat',
    args: () => ['run', '--dump', folder('emptydir.d', { 'readme.txt': 'x' }), '--migrations', ok()],
    exit: 2,
    message: /emptydir\.d is not a PostgreSQL dump/,
  },
  {
    name: 'toc.dat given instead of its folder',
    args: () => ['run', '--dump', file('dirdump/toc.dat', archiveHeader(14, 3)), '--migrations', ok()],
    exit: 2,
    message: /pass the folder, --dump .*dirdump/,
  },
  {
    name: 'gzip of non-SQL',
    args: () => ['run', '--dump', file('bin.sql.gz', zlib.gzipSync(Buffer.from([0, 1, 2, 3, 250, 251]))), '--migrations', ok()],
    exit: 2,
    message: /gzip-compressed but does not contain SQL/,
  },
  {
    name: 'gzip of a custom archive',
    args: () => ['run', '--dump', file('arch.dump.gz', zlib.gzipSync(archiveHeader(14))), '--migrations', ok()],
    exit: 2,
    message: /gunzip it first/,
  },
  {
    name: 'text that is not SQL',
    args: () => ['run', '--dump', file('notes.sql', 'Dear diary,\nthis is not SQL at all.\n'), '--migrations', ok()],
    exit: 2,
    message: /notes\.sql is not a PostgreSQL dump/,
  },
  {
    name: 'plain SQL dump with a syntax error',
    args: () =>
      onServer('--dump', file('broken.sql', '-- PostgreSQL database dump\nCREATE TABLE t (id int);\nCREATE TABEL u (id int);\n'), '--migrations', ok()),
    exit: 3,
    message: /broken\.sql.*syntax error at or near "TABEL"/,
  },
  {
    name: 'plain SQL dump owned by a missing role',
    args: () =>
      onServer(
        '--dump',
        file('role.sql', '-- PostgreSQL database dump\nCREATE TABLE t (id int);\nALTER TABLE t OWNER TO no_such_role_x;\n'),
        '--migrations',
        ok(),
      ),
    exit: 3,
    message: /role "no_such_role_x" does not exist/,
  },
  // ---- migrations ----
  { name: 'missing migrations folder', args: () => ['run', '--migrations', path.join(work, 'no-such-dir')], exit: 2, message: /no-such-dir/ },
  {
    name: 'migration with a syntax error',
    args: () => ['run', '--migrations', folder('syntax', { '001_a.sql': 'CREATE TABLE a (id int);\n\nALTER TABLE a ADD COLUMN b int\n  DEFALT 1;\n' })],
    exit: 2,
    message: /001_a\.sql:4: syntax error at or near "DEFALT"/,
  },
  {
    name: 'unknown migration layout',
    args: () => ['run', '--migrations', folder('layout', { 'schema.rb': 'ActiveRecord::Schema.define' })],
    exit: 2,
    message: /layout/,
  },
  {
    name: 'duplicate migration versions',
    args: () => ['run', '--migrations', folder('dupes', { '001_a.sql': 'SELECT 1;\n', '001_b.sql': 'SELECT 2;\n' })],
    exit: 2,
    message: /001/,
  },
  {
    name: 'migration failing midway',
    args: () =>
      onServer(
        '--migrations',
        folder('midway', { '001_a.sql': 'CREATE TABLE a (id int);\n', '002_b.sql': 'ALTER TABLE a ADD COLUMN b int;\nALTER TABLE nope ADD COLUMN c int;\n' }),
      ),
    exit: 1,
    message: /002_b\.sql:2: 42P01 relation "nope" does not exist/,
  },
  // ---- config files, durations ----
  {
    name: 'unknown config key',
    args: () => ['run', '--config', file('typo.config.json', JSON.stringify({ migrations: ok(), lockTimout: '2s' }))],
    exit: 2,
    message: /typo\.config\.json: unknown key "lockTimout"/,
  },
  {
    name: 'bad config value',
    args: () => ['run', '--config', file('value.config.json', JSON.stringify({ migrations: ok(), scale: 'lots' }))],
    exit: 2,
    message: /value\.config\.json.*scale/,
  },
  {
    name: 'config file that is not JSON',
    args: () => ['run', '--config', file('broken.config.json', '{ "migrations": ')],
    exit: 2,
    message: /broken\.config\.json/,
  },
  { name: 'missing config file', args: () => ['run', '--config', path.join(work, 'absent.config.json')], exit: 2, message: /absent\.config\.json/ },
  { name: 'bad duration --lock-timeout', args: () => ['run', '--migrations', ok(), '--lock-timeout', '2 fortnights'], exit: 2, message: /2 fortnights/ },
  { name: 'bad duration --warmup', args: () => ['run', '--migrations', ok(), '--workload', workload(), '--warmup', 'soon'], exit: 2, message: /soon/ },
  {
    name: 'bad budget --max-lock-hold',
    args: () => ['run', '--migrations', ok(), '--max-lock-hold', 'forever'],
    exit: 2,
    message: /maxLockHold: not a duration/,
  },
  // ---- workloads ----
  { name: 'missing workload file', args: () => ['run', '--migrations', ok(), '--workload', path.join(work, 'absent.yaml')], exit: 2, message: /absent\.yaml/ },
  {
    name: 'workload that is not YAML',
    args: () => ['run', '--migrations', ok(), '--workload', file('broken.yaml', 'apps:\n  old: [\n')],
    exit: 2,
    message: /broken\.yaml/,
  },
  {
    name: 'workload with an unknown key',
    args: () => [
      'run',
      '--migrations',
      ok(),
      '--workload',
      file('keys.yaml', 'apps:\n  old:\n    queries:\n      - name: q\n        sql: SELECT 1\n        rat: 5\n'),
    ],
    exit: 2,
    message: /keys\.yaml.*rat/,
  },
  {
    name: 'workload query with a syntax error',
    args: () => onServer('--migrations', ok(), '--workload', file('sqlerr.yaml', 'apps:\n  old:\n    queries:\n      - name: q\n        sql: SELEC 1\n')),
    exit: 2,
    message: /sqlerr\.yaml.*syntax error at or near "SELEC"/,
  },
  // ---- servers ----
  {
    name: 'unreachable server',
    args: () => ['run', '--database-url', 'postgresql://me:topsecret@127.0.0.1:1/app', '--migrations', ok()],
    exit: 3,
    message: /cannot connect to postgresql:\/\/me:\*\*\*\*@127\.0\.0\.1:1\/app/,
  },
  {
    name: 'wrong password',
    args: () => ['run', '--database-url', wrongPassword(), '--migrations', ok()],
    exit: 3,
    message: /cannot connect to .*password authentication failed/,
  },
  { name: 'not a URL', args: () => ['run', '--database-url', 'db.example.com:5432', '--migrations', ok()], exit: 2, message: /postgresql:\/\// },
  {
    name: 'missing --image',
    args: () => ['run', '--provider', 'container', '--image', 'rehearse-local/no-such-image:0', '--migrations', ok()],
    exit: 3,
    message: /no-such-image:0 is not on the Docker engine/,
    needsDocker: true,
  },
  // ---- outputs ----
  {
    name: 'unwritable --out',
    args: () => ['run', '--migrations', ok(), '--out', '/proc/nope'],
    exit: 2,
    message: /--out \/proc\/nope: the report cannot be written there/,
  },
  { name: '--out is a file', args: () => ['run', '--migrations', ok(), '--out', file('a-file', 'x')], exit: 2, message: /a-file is not a folder/ },
  {
    name: 'report.json in --out is a folder',
    args: () => ['run', '--migrations', ok(), '--out', folder('out-with-dir/report.json', { x: '' }).replace(/\/report\.json$/, '')],
    exit: 2,
    message: /report\.json is a folder/,
  },
  { name: 'bad --format', args: () => ['run', '--migrations', ok(), '--format', 'pdf'], exit: 2, message: /pdf/ },
  {
    name: 'missing --baseline',
    args: () => ['run', '--migrations', ok(), '--baseline', path.join(work, 'last.json')],
    exit: 2,
    message: /last\.json: cannot be read/,
  },
  // ---- flags that do not combine ----
  {
    name: '--example with --dump',
    args: () => ['run', '--example', '--dump', file('x.sql', 'SELECT 1;\n')],
    exit: 2,
    message: /--example and --dump both given/,
  },
  { name: '--provider url without --database-url', args: () => ['run', '--provider', 'url', '--migrations', ok()], exit: 2, message: /--database-url/ },
  { name: 'no migrations', args: () => ['run'], exit: 2, message: /no migrations to rehearse/ },
  { name: 'unknown flag', args: () => ['run', '--migrations', ok(), '--lock-timout', '2s'], exit: 2, message: /unknown option '--lock-timout'/ },
  { name: 'bad --provider', args: () => ['run', '--provider', 'cloud', '--migrations', ok()], exit: 2, message: /cloud/ },
  { name: 'bad --pg-setting', args: () => ['run', '--migrations', ok(), '--pg-setting', 'work_mem'], exit: 2, message: /work_mem/ },
];

/** Run the CLI in this process; its stdout and stderr captured. */
async function cli(args: string[]): Promise<{ exitCode: number; output: string }> {
  let output = '';
  const capture = (chunk: string | Uint8Array) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const exitCode = await main([
      'node',
      'rehearse',
      ...args,
      ...(args[0] === 'run' && !args.includes('--out') ? ['--out', path.join(work, 'out', String(Math.random()).slice(2))] : []),
    ]);
    return { exitCode, output };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

describe('the bad-input corpus: one message, its exit code, nothing left', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('$name → exit $exit', async (c) => {
    if (c.needsDocker && !docker) return;
    const res = await cli(c.args());
    if (process.env.CORPUS_PRINT) console.log(`--- ${c.name}: ${res.exitCode}\n${res.output}`);
    expect(res.output).not.toMatch(/internal error/);
    expect(res.exitCode, res.output).toBe(c.exit);
    expect(res.output).toMatch(c.message);
    // usage errors: the message and its hint, no summary of a run that did not happen
    if (c.exit === 2) expect(res.output).not.toMatch(/verdict|budgets:/);
    expect(processesUsing(root)).toEqual([]);
    expect(runDirs(root)).toEqual([]);
    expect(await scratchDatabasesOf(url(), [process.pid])).toEqual([]);
    if (c.needsDocker) expect(await containersOf([process.pid])).toEqual([]);
  });
});
