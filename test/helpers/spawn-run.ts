import fs from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

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
