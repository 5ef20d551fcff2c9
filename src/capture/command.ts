import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import { onExitCleanup } from '../core/cleanup.ts';
import { usageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { commandEnv, maskOutput } from '../replay/index.ts';
import { watchCommandGroup } from './watchdog.ts';

/**
 * The command whose statements are captured: the words after `--`. Several words run as they are
 * (no shell parsing: `-- npm test`); a single word with spaces is a shell command line (`-- "npm run build && npm test"`).
 */
export type CapturedCommand = readonly string[];

export const shellLine = (command: CapturedCommand): boolean => command.length === 1;

/** The command as a line for messages. */
export const describeCommand = (command: CapturedCommand): string =>
  shellLine(command) ? command[0]! : command.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');

/** The program the command starts: the first word (after NAME=value assignments of a shell line); null when the shell must tell. */
function programOf(command: CapturedCommand): string | null {
  if (!shellLine(command)) return command[0] ?? null;
  const words = command[0]!.trim().split(/\s+/);
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=\S*$/.test(words[i]!)) i++;
  const word = words[i];
  return word && /^[A-Za-z0-9_./@+:-]+$/.test(word) ? word : null;
}

const HOW = 'write the command after --, e.g. rehearse capture --out new-app.json --example -- npm test';

/** Before any server starts: a command is given and its program exists (on PATH, a shell builtin, or a file), else a usage error. */
export async function checkCapturedCommand(command: CapturedCommand, cwd = process.cwd()): Promise<void> {
  if (command.length === 0 || command.every((w) => w.trim() === '')) throw usageError('no command to capture: nothing after --', HOW);
  const program = programOf(command);
  if (!program) return;
  const found = await execa('sh', ['-c', 'command -v -- "$1"', 'sh', program], { cwd, reject: false, stdin: 'ignore' });
  if (found.exitCode !== 0) {
    throw usageError(`the command "${program}" is not found (not on PATH, not a shell builtin, no such file in ${cwd})`, `install it or give its path; ${HOW}`);
  }
}

export interface CommandOutcome {
  /** null when a signal ended it */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
}

/**
 * Run the command against `url`: DATABASE_URL and PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE point
 * at the rehearsal database (PGAPPNAME is left to the command: its connections are the new app's,
 * not the tool's). Its output is passed through as it comes (the rehearsal password masked). It runs
 * in its own process group: Ctrl-C or SIGTERM of the tool stops the group, and a watchdog stops it
 * when the tool is killed outright.
 */
export async function runCapturedCommand(command: CapturedCommand, url: string, log: Logger, cwd = process.cwd()): Promise<CommandOutcome> {
  const env = commandEnv(url);
  delete env.PGAPPNAME;
  const options = { cwd, env, extendEnv: false, stdin: 'pipe', reject: false, detached: true, buffer: false } as const;
  const started = performance.now();
  log.info(`running ${describeCommand(command)}`);
  // a shell that waits for "go" on its stdin, then becomes the command (stdin /dev/null): the
  // watchdog of its process group is up before the command starts, and if the tool dies before
  // saying go, the read ends at EOF and nothing runs
  const gate = 'read -r go || exit 1; exec';
  const child = shellLine(command)
    ? execa('sh', ['-c', `${gate} sh -c "$1" </dev/null`, 'sh', command[0]!], options)
    : execa('sh', ['-c', `${gate} "$@" </dev/null`, 'sh', ...command], options);
  const watchdog = child.pid !== undefined ? watchCommandGroup(child.pid) : undefined;
  child.stdin?.on('error', () => undefined); // gone already: its exit code says why
  child.stdin?.end('go\n');
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    await Promise.race([child.catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
  };
  const stopNow = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  const unregister = onExitCleanup(stop, stopNow);
  const pass = (from: Readable | null, to: Writable) => from?.on('data', (chunk: Buffer) => to.write(maskOutput(chunk.toString(), url)));
  pass(child.stdout, process.stdout);
  pass(child.stderr, process.stderr);
  try {
    const result = await child;
    if ((result as { code?: string }).code === 'ENOENT') throw usageError(`the command "${command[0]}" is not found`, `install it or give its path; ${HOW}`);
    return { exitCode: result.exitCode ?? null, signal: result.signal ?? null, durationMs: Math.round(performance.now() - started) };
  } finally {
    unregister();
    await stop();
    watchdog?.dismiss();
  }
}
