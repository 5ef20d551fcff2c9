import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { describeError, usageError } from '../../core/errors.ts';
import { csvReader, detectFormat, jsonReader, type EntryReader, type EntrySink, type LogFormat, STDERR_PREFIX, stderrReader } from './entries.ts';

export interface ReadLog {
  format: LogFormat | null;
  /** physical lines read */
  lines: number;
}

const READERS: Record<LogFormat, (sink: EntrySink) => EntryReader> = { stderr: stderrReader, csvlog: csvReader, jsonlog: jsonReader };

/**
 * Stream a log (gzip-compressed when it starts with gzip's magic bytes) line by line into `sink`,
 * in the format its first non-empty line shows. An empty log reads as format null, lines 0; a first
 * line of no known format is a usage error (exit 2) naming the prefix it must have.
 */
export async function readLogFile(file: string, sink: EntrySink): Promise<ReadLog> {
  const input = await openLog(file);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let reader: EntryReader | null = null;
  let format: LogFormat | null = null;
  let n = 0;
  try {
    for await (const text of lines) {
      n += 1;
      if (!reader) {
        if (text.trim() === '') continue;
        format = detectFormat(text);
        if (!format)
          throw usageError(
            `${file}:${n}: not a log pg-rehearse can replay: the line starts neither with log_line_prefix '${STDERR_PREFIX}' (stderr) nor as csvlog or jsonlog`,
            `capture the log with log_line_prefix = '${STDERR_PREFIX}', or log_destination = 'csvlog' or 'jsonlog' (docs/workload.md, Replaying a log)`,
          );
        reader = READERS[format](sink);
      }
      reader.push(text, n);
    }
  } catch (err) {
    input.destroy();
    if ((err as { kind?: string }).kind === 'usage') throw err;
    throw usageError(`${file}: cannot be read after line ${n}: ${describeError(err)}`, 'check the file (a .gz cut short?)');
  }
  reader?.end();
  return { format, lines: n };
}

async function openLog(file: string): Promise<Readable> {
  let gzip: boolean;
  try {
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      gzip = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw usageError(`cannot read the log ${file}: ${describeError(err)}`, 'check the --replay-log path');
  }
  const raw = createReadStream(file);
  if (!gzip) return raw;
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}
