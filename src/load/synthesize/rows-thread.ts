import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { StatsFile } from '../../stats/index.ts';
import { rowsInClient, rowsInClientBinary, type TablePlan } from './plan.ts';
import type { SynthCatalog } from './types.ts';
import { BinWriter, COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './values-bin.ts';

/**
 * Rows made in worker threads (rows-worker.ts) instead of the main thread: the main thread then
 * only frames the COPY, two fills side by side make their rows on two cores, and each worker's
 * young generation is sized for what row-making allocates (short strings by the million: with
 * V8's default 16 MiB semi-space, garbage collection was about half of the CPU of making a row).
 *
 * A worker plans the synthesis itself from the same input (planSynthesis is a pure function of
 * it), so it makes the very rows the main thread would (rowsInClient). Protocol: the main thread
 * sends the input (`plan`), then asks for rows [from, to) of a table; the worker answers with chunks of COPY text (their memory
 * transferred, not copied), at most AHEAD unacknowledged, then `end`.
 */
export interface RowsInput {
  catalog: SynthCatalog;
  stats: StatsFile;
  statsFile: string;
  fraction: number;
  seed: number;
}

export type ToWorker = { type: 'plan'; input: RowsInput } | { type: 'rows'; table: string; from: number; to: number; binary: boolean } | { type: 'ack' };
export type FromWorker = { type: 'chunk'; buffer: ArrayBuffer; bytes: number; rows: number } | { type: 'end' } | { type: 'failed'; message: string };

/** chunks a worker makes ahead of the COPY */
export const AHEAD = 4;
/** rows per chunk */
export const CHUNK_ROWS = 4096;
/** young generation of a worker, MiB: a larger one made rows with a third less CPU (docs/synthesis.md) */
const YOUNG_MB = 64;

/**
 * Lines [from, to) written into a buffer of their own, 32 at a time (`size` bytes to start with,
 * doubled when short): each string dies young. Concatenating a chunk's lines into one
 * string and encoding it took 10.5 s of CPU for the analytics fixture's 600,000 events against
 * 5.1–7.9 s this way (alternating rounds).
 */
export function linesToBuffer(line: (k: number) => string, from: number, to: number, size: number): { buffer: Buffer; bytes: number } {
  let buffer = Buffer.allocUnsafe(Math.max(1 << 16, size));
  let bytes = 0;
  for (let k = from; k < to; ) {
    // a few lines at a time: one write per line costs a call into C++ per row (short rows lost
    // to that), one string per chunk the concatenation's flattening (long rows lost to that)
    const end = Math.min(to, k + LINES_PER_WRITE);
    let text = '';
    for (; k < end; k++) text += line(k);
    if (bytes + 3 * text.length > buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * buffer.length, bytes + 3 * text.length));
      buffer.copy(bigger, 0, 0, bytes);
      buffer = bigger;
    }
    bytes += buffer.write(text, bytes);
  }
  return { buffer, bytes };
}
const LINES_PER_WRITE = 32;

/** Rows [from, to) in COPY's binary format (rowsInClientBinary), written into a buffer of their own (`size` bytes to start with). */
export function rowsToBuffer(row: (k: number, w: BinWriter) => void, from: number, to: number, size: number): { buffer: Buffer; bytes: number } {
  const w = new BinWriter(size);
  for (let k = from; k < to; k++) row(k, w);
  return { buffer: w.buf, bytes: w.pos };
}

/** A fill's rows as COPY data: text lines, or binary rows (framed by COPY binary's header and trailer). */
export type ClientRows = { binary: false; line: (k: number) => string } | { binary: true; row: (k: number, w: BinWriter) => void };

/** A table's rows in the format clientFormat chose (plan.ts); null when that format cannot make them. */
export function clientRowsOf(plan: TablePlan, binary: boolean): ClientRows | null {
  const row = binary ? rowsInClientBinary(plan) : null;
  const line = binary ? null : rowsInClient(plan);
  return row ? { binary: true, row } : line ? { binary: false, line } : null;
}

/** Rows [from, to) of a fill as a buffer of COPY data, either format. */
export const chunkOf = (rows: ClientRows, from: number, to: number, size: number) =>
  rows.binary ? rowsToBuffer(rows.row, from, to, size) : linesToBuffer(rows.line, from, to, size);

/** What goes before a fill's first row and after its last (binary's header and trailer; nothing for text). */
export const framing = (binary: boolean) => (binary ? { head: COPY_BINARY_HEADER, tail: COPY_BINARY_TRAILER } : null);

/**
 * Row-making workers, started when a fill first needs one and reused from table to table;
 * close() ends them. `plan` gives them (and any started later) what to plan from.
 */
export class RowMakers {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private input: RowsInput | undefined;

  plan(input: RowsInput): void {
    this.input = input;
    for (const w of this.all) w.postMessage({ type: 'plan', input } satisfies ToWorker);
  }

  /** Rows [from, to) of a table as COPY text; progress every second with the rows made so far. */
  rows(table: string, from: number, to: number, binary: boolean, onRows: (rows: number) => void): Readable {
    const worker = this.idle.pop() ?? this.spawn();
    const frame = framing(binary);
    const queue: Buffer[] = frame ? [frame.head] : [];
    let wanting = false;
    let ended = false;
    let made = 0;
    let last = Date.now();
    const detach = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const drain = () => {
      while (wanting && queue.length > 0) {
        const chunk = queue.shift()!;
        if (chunk !== frame?.head && chunk !== frame?.tail) worker.postMessage({ type: 'ack' } satisfies ToWorker);
        wanting = readable.push(chunk);
      }
      if (wanting && ended && queue.length === 0) readable.push(null);
    };
    const onMessage = (m: FromWorker) => {
      if (m.type === 'chunk') {
        queue.push(Buffer.from(m.buffer, 0, m.bytes));
        made += m.rows;
        if (Date.now() - last > 1000) {
          last = Date.now();
          onRows(made);
        }
      } else if (m.type === 'end') {
        ended = true;
        if (frame) queue.push(frame.tail);
        detach();
        this.idle.push(worker);
      } else {
        readable.destroy(new Error(`making rows of ${table}: ${m.message}`));
        return;
      }
      drain();
    };
    const onError = (err: Error) => readable.destroy(err);
    const readable = new Readable({
      read() {
        wanting = true;
        drain();
      },
      destroy: (err, callback) => {
        if (!ended) {
          // stopped half-way (the COPY failed): this worker may still be making rows; end it
          detach();
          this.all.delete(worker);
          void worker.terminate();
        }
        callback(err);
      },
    });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage({ type: 'rows', table, from, to, binary } satisfies ToWorker);
    return readable;
  }

  /** Ends every worker (without waiting for them to be gone: they are unref'd and hold nothing). */
  close(): void {
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    for (const w of workers) void w.terminate();
  }

  private spawn(): Worker {
    const worker = newWorker();
    worker.unref();
    this.all.add(worker);
    if (this.input) worker.postMessage({ type: 'plan', input: this.input } satisfies ToWorker);
    return worker;
  }
}

/**
 * Compiled (dist/): the worker runs rows-worker.js as it is. From the TypeScript sources: it
 * registers tsx's CommonJS hooks and requires its module (as src/traffic/threads.ts does).
 */
function newWorker(): Worker {
  const resourceLimits = { maxYoungGenerationSizeMb: YOUNG_MB };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./rows-worker.js', import.meta.url), { resourceLimits });
  const api = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const entry = fileURLToPath(new URL('./rows-worker.ts', import.meta.url));
  return new Worker(`require(${JSON.stringify(api)}).register(); require(${JSON.stringify(entry)});`, { eval: true, resourceLimits });
}
