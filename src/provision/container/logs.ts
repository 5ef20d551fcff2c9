import type { Docker } from './engine.ts';
import { runContainers } from './labels.ts';

/** The last problem lines of a container's log (a stopped one included). */
export async function containerLog(docker: Docker, id: string): Promise<string> {
  const raw = await docker
    .getContainer(id)
    .logs({ stdout: true, stderr: true, tail: 60, follow: false })
    .catch(() => Buffer.alloc(0));
  const lines = demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
    .split('\n')
    .filter((l) => /FATAL|ERROR|PANIC|invalid|could not|entrypoint/i.test(l));
  return lines.slice(-4).join(' | ');
}

/** The problem lines of a run's container, if it is still there (it may be gone after a failure). */
export async function runLogLines(docker: Docker, runId: string): Promise<string> {
  const list = await runContainers(docker, runId);
  return list[0] ? containerLog(docker, list[0].Id) : '';
}

/** Docker's log stream without a TTY: frames of [stream, 0, 0, 0, size(4)] + payload. */
export function demux(buf: Buffer): string {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || buf[0]! > 2) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
