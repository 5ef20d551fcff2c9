import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll } from 'vitest';

/** `node bin/rehearse.js …` as a user runs it, with its own run root; its stderr kept. */
export interface SpawnedRun {
  child: ResultPromise<{ reject: false; env: Record<string, string> }>;
  pid: number;
  stderr(): string;
  /** resolves when stderr has matched `pattern` (rejects on exit or after `ms`) */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
}

const bin = path.resolve('bin/rehearse.js');

export function spawnRun(args: string[], env: Record<string, string>): SpawnedRun {
  const child = execa('node', [bin, ...args], { reject: false, env, cwd: path.resolve('.') });
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    child,
    pid: child.pid!,
    stderr: () => text,
    waitFor(pattern, ms = 120_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; output:\n${text}`)), ms);
        const check = () => {
          if (pattern.test(text)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stderr!.on('data', check);
        child.stdout!.on('data', check);
        void child.then(() => {
          clearTimeout(timer);
          if (pattern.test(text)) resolve();
          else reject(new Error(`exited before ${pattern}; output:\n${text}`));
        });
        check();
      });
    },
  };
}

/** The run folder (under `root`) owned by `pid`, from its marker. */
export function runDirOf(root: string, pid: number): string | undefined {
  for (const name of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    try {
      const marker = JSON.parse(fs.readFileSync(path.join(root, name, 'pg-rehearse-owner.json'), 'utf8'));
      if (marker.pid === pid) return path.join(root, name);
    } catch {
      // not a marked folder
    }
  }
  return undefined;
}

export function writeFiles(dir: string, files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** A private folder for a test file's runs, with its own run root (PG_REHEARSE_RUN_ROOT). */
export interface RunWorkspace {
  /** the folder: migrations, workloads and report folders go here */
  work: string;
  /** the run root inside it, where runs make their run folders */
  root: string;
  /** the environment that points a run at `root` */
  env: { PG_REHEARSE_RUN_ROOT: string };
  /** the runs started; each is killed after all tests */
  started: SpawnedRun[];
}

/**
 * A run workspace for the tests of one file: a temp folder the postgres user can reach (the tests
 * may run as root), and after all tests every run in `started` killed, what they left swept by
 * `rehearse cleanup` (unless `sweep: false`) and the folder removed.
 */
export function runWorkspace(name: string, options: { sweep?: boolean } = {}): RunWorkspace {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `rehearse-${name}-`));
  fs.chmodSync(work, 0o755);
  const root = path.join(work, 'runs');
  const env = { PG_REHEARSE_RUN_ROOT: root };
  const started: SpawnedRun[] = [];
  afterAll(async () => {
    for (const r of started) r.child.kill('SIGKILL');
    if (options.sweep !== false) await execa('node', ['bin/rehearse.js', 'cleanup'], { reject: false, env });
    fs.rmSync(work, { recursive: true, force: true });
  });
  return { work, root, env, started };
}
