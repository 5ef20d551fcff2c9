import { createReadStream, createWriteStream } from 'node:fs';
import readline from 'node:readline';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Docker } from './engine.ts';
import type { ContainerExecOptions, ContainerExecResult } from './types.ts';

/** How many lines of standard error a result keeps. */
const KEPT_STDERR_LINES = 200;

/**
 * `docker exec` through the engine's API, with standard input streamed from the host (testcontainers'
 * own exec has no stdin) and standard output optionally written to a host file. The exec's stdin is
 * closed when the source ends (a half-close of the hijacked connection), so `psql -f -` sees EOF.
 */
export async function execInContainer(
  docker: Docker,
  containerId: string,
  cmd: string[],
  env: Record<string, string>,
  options: ContainerExecOptions = {},
): Promise<ContainerExecResult> {
  const withStdin = options.stdin !== undefined;
  const exec = await docker.getContainer(containerId).exec({
    Cmd: cmd,
    Env: Object.entries({ ...env, ...options.env }).map(([k, v]) => `${k}=${v}`),
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = (await exec.start({ hijack: true, stdin: withStdin })) as NodeJS.ReadWriteStream & Readable;

  const stdoutChunks: Buffer[] = [];
  const stdout: Writable = options.stdoutFile ? createWriteStream(options.stdoutFile) : new PassThrough();
  if (!options.stdoutFile) stdout.on('data', (c: Buffer) => stdoutChunks.push(c));
  const stderr = new PassThrough();
  const stderrLines: string[] = [];
  const lines = readline.createInterface({ input: stderr });
  lines.on('line', (line) => {
    stderrLines.push(line);
    if (stderrLines.length > KEPT_STDERR_LINES) stderrLines.shift();
    options.onStderrLine?.(line);
  });
  docker.modem.demuxStream(stream, stdout, stderr);

  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  let feeding: Promise<void> = Promise.resolve();
  if (withStdin) {
    const source = typeof options.stdin === 'string' ? createReadStream(options.stdin) : options.stdin!;
    // EPIPE or a reset: the command stopped reading (it failed); its exit code tells why
    feeding = pipeline(source, stream).catch(() => undefined);
  }
  await ended;
  await feeding;
  stdout.end();
  stderr.end();
  await Promise.all([finished(stdout).catch(() => undefined), new Promise((r) => lines.once('close', r))]);

  return { exitCode: await exitCodeOf(exec), stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderr: stderrLines.join('\n') };
}

/** The engine may report the exec as running for a moment after its output closed. */
async function exitCodeOf(exec: { inspect(): Promise<{ Running: boolean; ExitCode: number | null }> }): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the command in the container did not report an exit code');
}
