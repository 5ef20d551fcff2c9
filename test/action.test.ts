import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentBody, commentMarker, upsertComment } from '../src/action/comment.ts';
import { inputVar, runAction, spawnCli, type Env } from '../src/action/run.ts';
import { freshDatabase } from './helpers/db.ts';
import { filesIn } from './helpers/plan.ts';

/**
 * The GitHub Action (issue 22): the comment upsert against a local HTTP server standing in for
 * GitHub's REST API (it records every request), the whole step on a real rehearsal (summary,
 * outputs, exit code passed through), the job's token kept out of everything, and action.yml's
 * inputs and outputs wired to the code.
 */
interface Recorded {
  method: string;
  url: string;
  auth: string | undefined;
  body: { body?: string } | null;
}
interface StoredComment {
  id: number;
  body: string;
  html_url: string;
}

/** A tiny GitHub: issue comments of o/r, or a fixed failure (403 like a fork's token; 500 echoing the request's Authorization). */
class FakeGitHub {
  requests: Recorded[] = [];
  comments: StoredComment[] = [{ id: 1, body: 'an unrelated comment', html_url: 'http://x/1' }];
  fail: 403 | 500 | null = null;
  private lastId = 100;
  private server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as { body?: string }) : null;
      this.requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (this.fail === 403) return send(403, { message: 'Resource not accessible by integration' });
      if (this.fail === 500) return send(500, { message: `server error while handling ${req.headers.authorization}` });
      const url = new URL(req.url!, 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/repos/o/r/issues/7/comments') return send(200, this.comments);
      if (req.method === 'POST' && url.pathname === '/repos/o/r/issues/7/comments') {
        const id = ++this.lastId;
        const c = { id, body: body!.body!, html_url: `http://x/${id}` };
        this.comments.push(c);
        return send(201, c);
      }
      const m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (req.method === 'PATCH' && m) {
        const c = this.comments.find((x) => x.id === Number(m[1]));
        if (!c) return send(404, { message: 'Not Found' });
        c.body = body!.body!;
        return send(200, c);
      }
      send(404, { message: 'Not Found' });
    });
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const TOKEN = 'ghs_FAKEtokenForPgRehearseTests0123456789';
const gh = new FakeGitHub();
beforeAll(() => gh.start());
afterAll(() => gh.stop());
const target = () => ({ apiUrl: gh.url, repository: 'o/r', issue: 7, token: TOKEN });

describe('the pull-request comment', () => {
  it('is created the first time and updated the second (found by its hidden marker)', async () => {
    gh.requests = [];
    const marker = commentMarker();
    const first = await upsertComment(target(), commentBody('# run 1', marker), marker);
    expect(first.action).toBe('created');
    expect(gh.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect(gh.requests.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    const second = await upsertComment(target(), commentBody('# run 2', marker), marker);
    expect(second).toMatchObject({ action: 'updated', id: first.action === 'created' ? first.id : -1 });
    expect(gh.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
    const ours = gh.comments.filter((c) => c.body.includes(marker));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toBe(`${marker}\n# run 2`);
    // another marker (another job) keeps a comment of its own
    expect((await upsertComment(target(), 'x', commentMarker('nightly'))).action).toBe('created');
  });

  it("a 403 (a fork's read-only token) is a warning, not a failure", async () => {
    gh.fail = 403;
    try {
      const r = await upsertComment(target(), 'body', commentMarker());
      expect(r.action).toBe('skipped');
      expect(r.action === 'skipped' && r.warning).toMatch(/403.*read-only token/);
    } finally {
      gh.fail = null;
    }
  });

  it('a body over GitHub’s 65,536 characters is cut with a note, the marker kept', () => {
    const body = commentBody('x'.repeat(70_000), commentMarker());
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.startsWith(commentMarker())).toBe(true);
    expect(body).toContain('(cut:');
  });
});

describe('the action step on a real rehearsal', () => {
  let work: string;
  let env: Env;
  let migrations: string;
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-action-'));
    migrations = filesIn({ '001_slow.sql': 'CREATE TABLE t (id int);\nSELECT pg_sleep(0.3);\n' });
    fs.writeFileSync(path.join(work, 'event.json'), JSON.stringify({ pull_request: { number: 7 } }));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PG_REHEARSE_SOURCES: '1',
      PG_REHEARSE_NO_CACHE: '1',
      GITHUB_WORKSPACE: work,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_API_URL: gh.url,
      GITHUB_EVENT_PATH: path.join(work, 'event.json'),
      [inputVar('migrations')]: migrations,
      // a 300 ms statement over a 100 ms budget: the verdict fails, exit code 1
      [inputVar('budgets')]: '--max-statement 100ms',
      [inputVar('formats')]: 'codequality',
      [inputVar('github-token')]: TOKEN,
    };
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** One step: fresh summary/output files, the CLI's own output captured with the log. */
  async function step(name: string) {
    const summary = path.join(work, `${name}.summary.md`);
    const outputs = path.join(work, `${name}.outputs`);
    fs.writeFileSync(summary, '');
    fs.writeFileSync(outputs, '');
    const stepEnv: Env = {
      ...env,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: outputs,
      [inputVar('out')]: name,
      [inputVar('args')]: `--database-url ${await freshDatabase('action')} --quiet`,
    };
    const log: string[] = [];
    const code = await runAction(stepEnv, { log: (l) => log.push(l), runCli: (args, cwd) => spawnCli(args, cwd, stepEnv, (c) => log.push(c)) });
    const out = Object.fromEntries(
      fs
        .readFileSync(outputs, 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return { code, log: log.join('\n'), summary: fs.readFileSync(summary, 'utf8'), out, dir: path.join(work, name) };
  }

  it('writes the summary, the comment and the outputs, then passes the exit code through; a rerun edits the comment', async () => {
    gh.comments = gh.comments.filter((c) => !c.body.includes(commentMarker()));
    const before = gh.comments.length;
    const first = await step('run1');
    expect(first.code).toBe(1);
    expect(first.out).toMatchObject({ verdict: 'fail', 'exit-code': '1', 'report-dir': first.dir });
    expect(first.out['sarif-file']).toBe(path.join(first.dir, 'report.sarif'));
    expect(fs.existsSync(first.out['sarif-file']!)).toBe(true);
    expect(first.out['codequality-file']).toBe(path.join(first.dir, 'gl-code-quality-report.json'));
    const md = fs.readFileSync(path.join(first.dir, 'report.md'), 'utf8');
    expect(first.summary).toBe(`${md}\n`);
    expect(gh.comments.length).toBe(before + 1);
    const comment = gh.comments.at(-1)!;
    expect(comment.body).toBe(`${commentMarker()}\n${md}`);
    expect(first.out['comment-url']).toBe(comment.html_url);
    expect(first.log).toMatch(/::error::pg-rehearse exited with 1/);

    const second = await step('run2');
    expect(second.code).toBe(1);
    expect(gh.comments.length).toBe(before + 1);
    expect(gh.comments.at(-1)!.body).toBe(`${commentMarker()}\n${fs.readFileSync(path.join(second.dir, 'report.md'), 'utf8')}`);
  });

  it('the token appears nowhere — log, summary, outputs, reports — even when the API fails and echoes it', async () => {
    gh.fail = 500;
    try {
      const r = await step('run3');
      expect(r.code).toBe(1);
      expect(r.log).toMatch(/::warning::the pull-request comment failed: GitHub API GET .* 500/);
      const texts = [
        r.log.replace(`::add-mask::${TOKEN}`, ''),
        r.summary,
        JSON.stringify(r.out),
        ...fs.readdirSync(r.dir).map((f) => fs.readFileSync(path.join(r.dir, f), 'utf8')),
      ];
      for (const t of texts) expect(t).not.toContain(TOKEN);
      expect(gh.requests.at(-1)!.auth).toBe(`Bearer ${TOKEN}`);
    } finally {
      gh.fail = null;
    }
  });
});

describe('action.yml', () => {
  const action = YAML.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'action.yml'), 'utf8'));
  const steps = action.runs.steps as { id?: string; run: string; env?: Record<string, string> }[];
  const text = JSON.stringify(action.runs);

  it('is a composite action; every input is documented, passed to the code and used; no other is referenced', () => {
    expect(action.runs.using).toBe('composite');
    const names = Object.keys(action.inputs);
    expect(names).toEqual(
      expect.arrayContaining([
        'example',
        'dump',
        'synthesize',
        'fixture',
        'migrations',
        'workload',
        'config',
        'budgets',
        'formats',
        'baseline',
        'github-token',
      ]),
    );
    const rehearse = steps.find((s) => s.id === 'rehearse')!;
    for (const name of names) {
      expect(action.inputs[name].description, name).toBeTruthy();
      expect(typeof action.inputs[name].required, name).toBe('boolean');
      // required inputs have no default; optional ones reach the code as INPUT_* (as inputVar reads them)
      if (action.inputs[name].required) expect(action.inputs[name].default, name).toBeUndefined();
      expect(rehearse.env?.[inputVar(name)], name).toBe(`\${{ inputs.${name} }}`);
    }
    const referenced = [...text.matchAll(/inputs\.([a-z-]+)/g)].map((m) => m[1]);
    expect(referenced.filter((r) => !names.includes(r!))).toEqual([]);
    // inputs never spliced into a shell script (injection): only through env
    for (const s of steps) expect(s.run, s.run).not.toMatch(/\$\{\{\s*inputs\./);
  });

  it('its outputs are the step outputs the code writes', () => {
    for (const [name, o] of Object.entries(action.outputs as Record<string, { value: string }>)) expect(o.value).toBe(`\${{ steps.rehearse.outputs.${name} }}`);
    expect(Object.keys(action.outputs).sort()).toEqual(['codequality-file', 'comment-url', 'exit-code', 'report-dir', 'sarif-file', 'verdict']);
  });
});
