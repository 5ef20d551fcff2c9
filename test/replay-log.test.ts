import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import type { Logger } from '../src/core/log.ts';
import { logSource, startTraffic } from '../src/traffic/index.ts';
import type { Workload } from '../src/traffic/index.ts';
import { DEFAULT_BUDGETS, DEFAULT_REGRESSION, finalizeReport, renderTerminal, writeFormats } from '../src/report/index.ts';
import { ReportSchema } from '../src/report/model/schema.ts';
import { filesIn, planOn } from './helpers/plan.ts';
import { rehearse } from '../src/rehearsal.ts';
import { silentLogger } from '../src/core/log.ts';
import { csvLog, jsonLog, type LogEvent, stderrLog } from './helpers/pglog.ts';

/** A logger that keeps everything it was told, progress lines included. */
function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (m: string) => void lines.push(m);
  return {
    lines,
    info: keep,
    warn: keep,
    progress: (label: string) => {
      keep(label);
      return { update: keep, done: (detail?: string) => detail !== undefined && keep(detail) };
    },
  };
}

// The literals of the log: none of them may reach a report, a rendered format or the terminal.
const SECRETS = ['SECRET-IDLE-7Q', 'SECRET-SIMPLE-3K', 'SECRET-PARAM-9Z', 'SECRET-MULTI-5M', 'SECRET-CAST-2B', 'SECRET-INSERT-4T'];

/**
 * Production's traffic around the migration (warmup 1 s, so the ALTER starts ~1 s in):
 * billing opens a transaction, reads orders at 0.75 s and sits idle in it until 4 s; web reads
 * orders every 250 ms, in the simple and the extended protocol, and those reads queue behind the
 * waiting ALTER; one statement fails with its literal in the message; other databases' and the
 * tool's own sessions are in the log too.
 */
function traffic(): LogEvent[] {
  const ev: LogEvent[] = [
    { at: 0, session: '6571a3f2.10', kind: 'connect', app: 'billing' },
    { at: 0, session: '6571a3f2.11', kind: 'connect', app: 'web' },
    { at: 0, session: '6571a3f2.12', kind: 'connect', app: 'web' },
    { at: 0, session: '6571a3f2.13', kind: 'connect', app: 'rehearse/app/old', user: 'tool' },
    { at: 0, session: '6571a3f2.14', kind: 'connect', app: 'cron', db: 'other' },
    { at: 50, session: '6571a3f2.14', kind: 'statement', sql: 'SELECT 1', db: 'other' },
    { at: 60, session: '6571a3f2.13', kind: 'statement', sql: 'SELECT 2', user: 'tool' },
    { at: 200, session: '6571a3f2.12', kind: 'statement', sql: "SELECT 'SECRET-CAST-2B'::int" },
    { at: 300, session: '6571a3f2.12', kind: 'statement', sql: "INSERT INTO orders (id, total, note) VALUES (100001, 5, 'SECRET-INSERT-4T')" },
    { at: 700, session: '6571a3f2.10', kind: 'statement', sql: 'BEGIN' },
    { at: 750, session: '6571a3f2.10', kind: 'statement', sql: "SELECT count(*) FROM orders WHERE note IS DISTINCT FROM 'SECRET-IDLE-7Q'" },
    { at: 1500, session: '6571a3f2.12', kind: 'statement', sql: "SELECT id\nFROM orders\nWHERE note = 'SECRET-MULTI-5M'" },
    { at: 4000, session: '6571a3f2.10', kind: 'statement', sql: 'COMMIT' },
  ];
  for (let t = 0, i = 0; t < 4000; t += 250, i++)
    ev.push(
      i % 2 === 0
        ? {
            at: t,
            session: '6571a3f2.11',
            kind: 'statement',
            sql: `SELECT id, total FROM orders WHERE id = ${i + 1} AND note IS DISTINCT FROM 'SECRET-SIMPLE-3K'`,
          }
        : {
            at: t,
            session: '6571a3f2.11',
            kind: 'execute',
            sql: 'SELECT id, total FROM orders WHERE note = $1 AND id > $2',
            params: ['SECRET-PARAM-9Z', String(i)],
          },
    );
  ev.push(
    { at: 4100, session: '6571a3f2.10', kind: 'disconnect' },
    { at: 4100, session: '6571a3f2.11', kind: 'disconnect' },
    { at: 4100, session: '6571a3f2.12', kind: 'disconnect' },
  );
  return ev.sort((a, b) => a.at - b.at);
}

/** What a replay is made of, format aside: sessions, their statements and offsets, the queries' texts. */
const shape = (w: Workload) => ({
  apps: w.apps.map((a) => ({ name: a.name, queries: a.queries.map((q) => q.text) })),
  sessions: w.sessions!.map((s) => ({ ...s, statements: s.statements.map(({ line: _line, ...rest }) => rest) })),
});

describe('reading a log', () => {
  it('stderr, csvlog, jsonlog and a .gz of the same traffic give the same replay; own sessions and other databases skipped', async () => {
    const events = traffic();
    const dir = filesIn({ 'pg.log': stderrLog(events), 'pg.csv': csvLog(events), 'pg.json': jsonLog(events) });
    fs.writeFileSync(path.join(dir, 'pg.log.gz'), gzipSync(stderrLog(events)));
    const read = async (name: string) => logSource(path.join(dir, name), { speed: 1, byApplication: true }).read(recorder());
    const stderr = await read('pg.log');
    for (const other of ['pg.csv', 'pg.json', 'pg.log.gz']) expect(shape(await read(other))).toEqual(shape(stderr));

    expect(stderr.sessions!.map((s) => [s.name, s.app, s.statements.length])).toEqual([
      ['s1', 'web', 16],
      ['s2', 'web', 3],
      ['s3', 'billing', 3],
    ]);
    // offsets from the first statement; params of the extended protocol kept for the replay
    expect(stderr.sessions![2]!.statements.map((s) => s.atMs)).toEqual([700, 750, 4000]);
    expect(stderr.sessions![0]!.statements[1]).toMatchObject({ params: ['SECRET-PARAM-9Z', '1'] });
    expect(stderr.apps.find((a) => a.name === 'web')!.queries.map((q) => q.text)).toContain('SELECT id\nFROM orders\nWHERE note = $1');
    expect(stderr.replay).toMatchObject({ format: 'stderr', windowMs: 4000, unreadable: { count: 0 } });
    expect(stderr.replay!.skipped).toMatchObject({ "pg-rehearse's own sessions": 1, 'statements of other databases': 1 });
  });

  it('a line cut in half is counted and named (line, why), the rest replayed', async () => {
    const lines = stderrLog(traffic()).split('\n');
    lines[8] = lines[8]!.slice(0, 30);
    const file = path.join(filesIn({ 'cut.log': lines.join('\n') }), 'cut.log');
    const log = recorder();
    const w = await logSource(file, { speed: 1, byApplication: false }).read(log);
    expect(w.replay!.unreadable).toEqual({ count: 1, first: { line: 9, why: "the line ends before its prefix '%m|%u|%d|%c|' does (cut short?)" } });
    expect(log.lines.filter((l) => l.includes('could not be read'))).toEqual([
      `${file}: 1 entry could not be read and were skipped (first: line 9: the line ends before its prefix '%m|%u|%d|%c|' does (cut short?))`,
    ]);
    expect(w.sessions!.reduce((n, s) => n + s.statements.length, 0)).toBe(21);
  });

  it('csvlog and jsonlog entries cut short are counted too; --replay-database picks the database, the default warns about the others', async () => {
    const events = traffic();
    const csv = csvLog(events).split('\n');
    csv[8] = csv[8]!.slice(0, csv[8]!.indexOf('"statement: ') + 15); // inside its quoted message: the next record starts
    const json = jsonLog(events).split('\n');
    json[8] = json[8]!.slice(0, 40);
    const dir = filesIn({ 'cut.csv': csv.join('\n'), 'cut.json': json.join('\n'), 'pg.log': stderrLog(events) });
    for (const [name, why] of [
      ['cut.csv', 'a csvlog record cut short (an unterminated quoted field)'],
      ['cut.json', 'not a JSON object (cut short?)'],
    ] as const) {
      const w = await logSource(path.join(dir, name), { speed: 1, byApplication: false }).read(recorder());
      expect(w.replay!.unreadable).toEqual({ count: 1, first: { line: 9, why } });
      expect(w.sessions!.reduce((n, x) => n + x.statements.length, 0)).toBe(21);
    }
    const log = recorder();
    await logSource(path.join(dir, 'pg.log'), { speed: 1, byApplication: false }).read(log);
    expect(log.lines.some((l) => l.includes('replaying the statements of database shop (the most); skipped those of other'))).toBe(true);
    const other = await logSource(path.join(dir, 'pg.log'), { database: 'other', speed: 1, byApplication: false }).read(recorder());
    expect(other.sessions!.map((x) => x.statements.map((st) => st.sql))).toEqual([['SELECT 1']]);
    await expect(logSource(path.join(dir, 'pg.log'), { database: 'nope', speed: 1, byApplication: false }).read(recorder())).rejects.toThrow(
      'no statement of database nope in the log',
    );
  });

  it('--replay-speed 0: every session back to back, every statement run, no lag measured', async () => {
    const dir = filesIn({ 'pg.log': stderrLog(traffic().filter((e) => !/orders/.test(e.sql ?? ''))) });
    const workload = await logSource(path.join(dir, 'pg.log'), { speed: 0, byApplication: false }).read(recorder());
    const run = await startTraffic(inject('pgUrl'), workload, { log: silentLogger });
    await run.sessionsDone;
    const result = await run.stop();
    expect(result.replay).toMatchObject({ speed: 0, statements: 3, replayed: 3, lag: null, baselineLag: null, behind: null, errors: { '22P02': 1 } });
    expect(result.replay!.sessions.map((x) => x.lag)).toEqual([null, null]);
  });

  it('an empty log, an unknown prefix, a log of nothing readable: one message each, exit 2', async () => {
    const dir = filesIn({
      'empty.log': '',
      'prefix.log': '10:00:00 [4242] LOG:  statement: SELECT 1\n',
      'cut.log': '2026-12-06 10:00:00.000 UTC|app|sh\n2026-12-06 10:00:01.000 UTC|app\n',
      'm/001_x.sql': 'SELECT 1;\n',
    });
    // through the orchestrator: read before any server starts, the run's error and exit code
    const run = (log: string) =>
      rehearse(
        planOn(path.join(dir, 'm'), {
          traffic: { replayLog: { file: path.join(dir, log), speed: 1, byApplication: false }, sampleMs: 10, warmupMs: 100, cooldownMs: 100 },
        }),
        silentLogger,
      );
    const [empty, prefix, cut] = await Promise.all([run('empty.log'), run('prefix.log'), run('cut.log')]);
    for (const r of [empty, prefix, cut]) expect(r.exitCode).toBe(2);
    expect(empty.report.run.error).toMatchObject({ kind: 'usage', message: `${path.join(dir, 'empty.log')}: the log is empty` });
    expect(prefix.report.run.error!.message).toBe(
      `${path.join(dir, 'prefix.log')}:1: not a log pg-rehearse can replay: the line starts neither with log_line_prefix '%m|%u|%d|%c|' (stderr) nor as csvlog or jsonlog`,
    );
    expect(cut.report.run.error!.message).toBe(
      `${path.join(dir, 'cut.log')}: nothing to replay: no entry could be read (2; first: line 1: the line ends before its prefix '%m|%u|%d|%c|' does (cut short?))`,
    );
  });
});

describe('replaying a log during the migration', () => {
  it('the session idle in transaction holds the ALTER ~3 s as root blocker, the logged reads queue behind it; no literal of the log in any output', async () => {
    const dir = filesIn({
      'orders.sql':
        'CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL, note text);\nINSERT INTO orders SELECT g, g, NULL FROM generate_series(1, 1000) g;\n',
      'migrations/001_flag.sql': 'ALTER TABLE orders ADD COLUMN flag boolean;\n',
      'pg.log': stderrLog(traffic()),
    });
    // in-process, as `rehearse run --format json,md,html,junit,sarif,terminal` glues it (src/cli/run.ts), with every log line kept
    const out = path.join(dir, 'out');
    const said = recorder();
    const plan = planOn(path.join(dir, 'migrations'), {
      load: { kind: 'dump', path: path.join(dir, 'orders.sql') },
      traffic: { replayLog: { file: path.join(dir, 'pg.log'), speed: 1, byApplication: false }, sampleMs: 10, warmupMs: 1000, cooldownMs: 500 },
    });
    const { report } = await rehearse(plan, said);
    finalizeReport(report, { budgets: DEFAULT_BUDGETS, regression: DEFAULT_REGRESSION });
    await writeFormats(report, out, ['md', 'html', 'junit', 'sarif']);
    const terminal = renderTerminal(report, { width: 200 });
    ReportSchema.parse(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')));
    expect(report.run.status, report.run.error?.message).not.toBe('error');

    // the ALTER started --warmup (1 s) into the log and billing committed 4 s into it: the ALTER
    // waited ~3 s (±10 %) for it, counted from when the ALTER really started (a stall of this
    // machine before it shortens the wait, a late COMMIT lengthens it by billing's lag)
    const waits = report.blocking.filter((b) => b.app === 'migration' && b.rootBlocker === 'log/s3');
    expect(waits.length).toBeGreaterThan(0);
    const waited = Math.max(...waits.map((b) => b.waitMs));
    const replay = report.workload!.replay!;
    const alter = report.migrations[0]!.statements[0]!;
    const expected = report.workload!.startedAt + 4000 - Date.parse(alter.startedAt);
    expect(expected).toBeGreaterThan(2000);
    expect(waited).toBeGreaterThan(expected * 0.9);
    expect(waited).toBeLessThan(expected * 1.1 + (replay.sessions.find((x) => x.name === 's3')!.lag!.maxMs ?? 0));
    // web's reads waited behind the ALTER that waited for billing: root billing's session, queued behind the statement
    const queued = report.blocking.filter((b) => b.app === 'log' && b.query === 's1' && b.rootBlocker === 'log/s3');
    expect(queued.length).toBeGreaterThan(0);
    for (const b of queued) expect(b).toMatchObject({ blockerKind: 'app', migrationId: '001', migrationRole: 'queued' });

    expect(replay).toMatchObject({ statements: 22, replayed: 22, errors: { '22P02': 1 } });
    expect(replay.sessions.find((s) => s.name === 's3')).toMatchObject({ application: 'billing', statements: 3, replayed: 3 });
    const log = report.workload!.apps.find((a) => a.name === 'log')!;
    expect(log.queries.map((q) => q.text)).toContain('SELECT id, total FROM orders WHERE note = $1 AND id > $2');
    expect(log.queries.find((q) => q.text === 'SELECT $1::int')!.failures[0]!.message).toBe('invalid input syntax for type integer: "…"');
    expect(report.compatibility!.apps).toEqual([{ name: 'log', role: 'old' }]);

    // no literal of the log anywhere: the files, the terminal, the messages
    const files = fs.readdirSync(out).map((f) => path.join(out, f));
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(said.lines.some((l) => l.includes('22P02 invalid input syntax for type integer: "…"'))).toBe(true); // the failure was told, masked
    expect(terminal).toContain('log replay (stderr, speed 1): 22 of 22 statements in 3 sessions');
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('22 of 22 logged statements replayed in 3 sessions');
    for (const text of [...files.map((f) => fs.readFileSync(f, 'utf8')), terminal, ...said.lines])
      for (const secret of SECRETS) expect(text.includes(secret), secret).toBe(false);
  });
});
