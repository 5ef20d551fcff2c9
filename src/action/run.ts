import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskSecrets } from '../core/mask.ts';
import { commentBody, commentMarker, redact, upsertComment, type UpsertResult } from './comment.ts';

/**
 * The GitHub Action (action.yml) as one function of its environment: the inputs (INPUT_*) become
 * `rehearse run` flags, the run's output streams to the log, then — whatever the exit code — the
 * Markdown goes to the step summary, the pull-request comment is created or updated, the outputs
 * (verdict, report-dir, exit-code, sarif-file, codequality-file, comment-url) are written, and the
 * tool's exit code is returned for the step to fail with.
 */

export type Env = Record<string, string | undefined>;

/** The formats the action always writes: the summary and comment (md), code scanning (sarif). */
const ACTION_FORMATS = ['json', 'md', 'sarif', 'terminal'];

/** An input as action.yml passes it: INPUT_<NAME>, upper case, '-' and ' ' as '_'. */
export const inputVar = (name: string) => `INPUT_${name.toUpperCase().replace(/[ -]/g, '_')}`;
const input = (env: Env, name: string): string => (env[inputVar(name)] ?? '').trim();
const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/** The `rehearse run` arguments the inputs ask for. */
export function rehearseArgs(env: Env, outDir: string): string[] {
  const args = ['run'];
  const pass = (name: string, flag = `--${name}`) => {
    const v = input(env, name);
    if (v) args.push(flag, v);
  };
  if (/^(true|yes|1)$/i.test(input(env, 'example'))) args.push('--example');
  pass('dump');
  pass('fixture');
  pass('synthesize');
  pass('schema');
  pass('migrations');
  pass('workload');
  pass('config');
  pass('baseline');
  args.push(...words(input(env, 'budgets')));
  const formats = [
    ...new Set(
      [
        ...ACTION_FORMATS,
        ...input(env, 'formats')
          .split(',')
          .map((f) => f.trim().toLowerCase()),
      ].filter(Boolean),
    ),
  ];
  args.push('--format', formats.join(','), '--out', outDir);
  args.push(...words(input(env, 'args')));
  return args;
}

export interface ActionIo {
  /** the log (the step's stdout); the tool's own output goes there too */
  log: (line: string) => void;
  /** run the CLI; resolves with its exit code */
  runCli?: (args: string[], cwd: string) => Promise<number>;
}

const BIN = fileURLToPath(new URL('../../bin/rehearse.js', import.meta.url));

/**
 * `node bin/rehearse.js <args>`: its output to the step's log (or to `output`), the action's inputs
 * (the token among them) left out of its environment. Resolves with its exit code.
 */
export function spawnCli(args: string[], cwd: string, env: Env = process.env, output?: (chunk: string) => void): Promise<number> {
  const childEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('INPUT_')));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv, stdio: output ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (output) {
      child.stdout?.on('data', (d: Buffer) => output(d.toString()));
      child.stderr?.on('data', (d: Buffer) => output(d.toString()));
    }
    child.on('error', () => resolve(3));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 3)));
  });
}

/** `::warning::` / `::notice::` lines: the runner shows them on the run's page. */
const command = (kind: 'warning' | 'notice' | 'error', text: string) => `::${kind}::${text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`;

/** key=value lines for $GITHUB_OUTPUT (values here are single-line). */
function writeOutputs(file: string | undefined, outputs: Record<string, string>): void {
  if (!file) return;
  fs.appendFileSync(
    file,
    Object.entries(outputs)
      .map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}\n`)
      .join(''),
  );
}

/** The pull request this run is about, from the event payload; null on a push, a schedule, … */
function pullRequestNumber(env: Env): number | null {
  if (!env.GITHUB_EVENT_PATH) return null;
  try {
    const event = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as {
      pull_request?: { number?: number };
      issue?: { number?: number; pull_request?: unknown };
    };
    return event.pull_request?.number ?? (event.issue?.pull_request ? (event.issue.number ?? null) : null);
  } catch {
    return null;
  }
}

export async function runAction(env: Env, io: ActionIo): Promise<number> {
  const token = input(env, 'github-token');
  // every line this function prints passes here: a token never reaches the log
  const say = (line: string) => io.log(redact(maskSecrets(line), token));
  if (token) io.log(`::add-mask::${token}`);
  const cwd = path.resolve(env.GITHUB_WORKSPACE ?? process.cwd(), input(env, 'working-directory') || '.');
  const outDir = path.resolve(cwd, input(env, 'out') || 'rehearse-report');
  const args = rehearseArgs(env, outDir);
  say(`rehearse ${args.join(' ')}`);
  const exitCode = await (io.runCli ?? ((a: string[], dir: string) => spawnCli(a, dir, env)))(args, cwd);

  let verdict = 'none';
  try {
    verdict = (JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8')) as { verdict?: { status?: string } }).verdict?.status ?? 'none';
  } catch {
    say(command('warning', `no report.json in ${outDir}: the run ended before writing its report (exit code ${exitCode})`));
  }
  const mdFile = path.join(outDir, 'report.md');
  const markdown = fs.existsSync(mdFile) ? fs.readFileSync(mdFile, 'utf8') : null;

  if (markdown !== null && env.GITHUB_STEP_SUMMARY && input(env, 'summary') !== 'false') fs.appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);

  let comment: UpsertResult | null = null;
  const pr = pullRequestNumber(env);
  if (markdown !== null && pr !== null && input(env, 'comment') !== 'false') {
    if (!token) say(command('warning', 'no github-token: the pull-request comment is skipped'));
    else if (!env.GITHUB_REPOSITORY) say(command('warning', 'GITHUB_REPOSITORY is not set: the pull-request comment is skipped'));
    else {
      const marker = commentMarker(input(env, 'comment-id') || 'default');
      try {
        comment = await upsertComment(
          { apiUrl: env.GITHUB_API_URL || 'https://api.github.com', repository: env.GITHUB_REPOSITORY, issue: pr, token },
          commentBody(markdown, marker),
          marker,
        );
        if (comment.action === 'skipped') say(command('warning', comment.warning));
        else say(`pull-request comment ${comment.action}: ${comment.url}`);
      } catch (err) {
        // the comment is a convenience: the step's result is the rehearsal's
        say(command('warning', `the pull-request comment failed: ${(err as Error).message}`));
      }
    }
  }

  const sarif = path.join(outDir, 'report.sarif');
  const codequality = path.join(outDir, 'gl-code-quality-report.json');
  writeOutputs(env.GITHUB_OUTPUT, {
    verdict,
    'exit-code': String(exitCode),
    'report-dir': outDir,
    'sarif-file': fs.existsSync(sarif) ? sarif : '',
    'codequality-file': fs.existsSync(codequality) ? codequality : '',
    'comment-url': comment && comment.action !== 'skipped' ? comment.url : '',
  });
  if (exitCode !== 0) say(command('error', `pg-rehearse exited with ${exitCode} (verdict: ${verdict}); the report is in ${outDir}`));
  return exitCode;
}
