import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SampleError, type Samples } from './params.ts';
import type { RecordSink, ShardApp } from './shard.ts';
import type { Outcome } from './stats.ts';
import type { AppSpec, ParamValue } from './types.ts';

/**
 * Traffic in worker threads: each worker runs a Shard (a share of every app's clients, see
 * shard.ts) and sends what it measured back in batches; the driver merges the batches in
 * completion-time order into its statistics, so the per-phase figures and the per-second timeline
 * are exactly those of one thread. The phase in force is one shared integer (no message delay).
 */

/** How many worker threads for a workload: none for a small one (the driver's own thread copes)
 *  or on a machine of 2 cores or fewer, else one per 4 clients up to the cores there are (at most 8).
 *  On 2 cores, which the server shares, workers only add CPU per query (their hand-over, more
 *  threads to schedule, fewer replies per event-loop turn): measured 51–58 µs of client CPU per
 *  point select in the driver's thread against 70–81 µs with 2 workers, at the same rate. */
export function autoThreads(apps: AppSpec[], cores = availableParallelism()): number {
  const clients = apps.reduce((n, a) => n + a.clients, 0);
  if (clients < 8 || cores <= 2) return 0;
  return Math.max(1, Math.min(cores, 8, Math.ceil(clients / 4)));
}

/** Split every app's clients over `shards` shards (apps with fewer clients run on fewer shards). */
export function planShards(apps: AppSpec[], shards: number): ShardApp[][] {
  const plan: ShardApp[][] = Array.from({ length: Math.max(1, shards) }, () => []);
  let first = 0;
  apps.forEach((spec, index) => {
    const of = Math.min(plan.length, spec.clients);
    for (let slot = 0; slot < of; slot++) {
      const clients = Math.floor(spec.clients / of) + (slot < spec.clients % of ? 1 : 0);
      plan[(first + slot) % plan.length]!.push({ index, spec, clients, slot, of });
    }
    first = (first + of) % plan.length;
  });
  return plan;
}

// ─── messages ────────────────────────────────────────────────────────────────────────────────

/** Fields of one record in a batch: app, query, phase, endedAt, ms, failure (-1: ok, else an index into failures). */
export const FIELDS = 6;

export interface RecordBatch {
  type: 'records';
  /** every record after this batch ends at or after upTo (epoch ms); Infinity in the last batch */
  upTo: number;
  data: Float64Array;
  failures: [sqlstate: string, message: string][];
  /** [app, query, count] */
  dropped: [number, number, number][];
}

export type WorkerMessage = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'warn'; message: string } | RecordBatch | { type: 'stopped' };
export type MainMessage = { type: 'start'; t0: number } | { type: 'stop'; drainMs: number };

export interface WorkerInput {
  url: string;
  apps: ShardApp[];
  samples: SerializedSamples;
  /** add hrMs() to get the driver's epoch ms */
  clockOffset: number;
  /** Int32Array: [0] the phase index, [1] 1 once the traffic stops */
  shared: SharedArrayBuffer;
}

/** The process-wide monotonic clock in ms (the same in every thread). */
export const hrMs = () => Number(process.hrtime.bigint()) / 1e6;

export type SerializedSamples = [key: string, values: ParamValue[] | { sqlstate: string; message: string }][];

export const serializeSamples = (samples: Samples): SerializedSamples =>
  [...samples].map(([key, v]) => [key, v instanceof SampleError ? { sqlstate: v.sqlstate, message: v.message } : v]);

export const deserializeSamples = (samples: SerializedSamples): Samples =>
  new Map(samples.map(([key, v]) => [key, Array.isArray(v) ? v : new SampleError(key, v.sqlstate, v.message)]));

/** The worker side of a sink: records into a growing batch, sent every `flushMs`. */
export class BatchingSink implements RecordSink {
  private data = new Float64Array(FIELDS * 1024);
  private n = 0;
  private failures: [string, string][] = [];
  private failureIndex = new Map<string, number>();
  private droppedCounts = new Map<string, [number, number, number]>();

  constructor(private readonly send: (batch: RecordBatch, transfer: ArrayBuffer[]) => void) {}

  record(app: number, query: number, phase: number, endedAt: number, ms: number, outcome: Outcome): void {
    if ((this.n + 1) * FIELDS > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    let failure = -1;
    if (!outcome.ok) {
      const sqlstate = outcome.sqlstate ?? 'CLIENT';
      const message = outcome.message ?? '';
      const key = `${sqlstate}\0${message}`;
      failure = this.failureIndex.get(key) ?? -1;
      if (failure < 0) {
        failure = this.failures.push([sqlstate, message]) - 1;
        this.failureIndex.set(key, failure);
      }
    }
    const o = this.n * FIELDS;
    this.data[o] = app;
    this.data[o + 1] = query;
    this.data[o + 2] = phase;
    this.data[o + 3] = endedAt;
    this.data[o + 4] = ms;
    this.data[o + 5] = failure;
    this.n += 1;
  }

  dropped(app: number, query: number): void {
    const key = `${app}/${query}`;
    const d = this.droppedCounts.get(key);
    if (d) d[2] += 1;
    else this.droppedCounts.set(key, [app, query, 1]);
  }

  flush(upTo: number): void {
    const data = this.data.slice(0, this.n * FIELDS);
    this.send({ type: 'records', upTo, data, failures: this.failures, dropped: [...this.droppedCounts.values()] }, [data.buffer]);
    this.n = 0;
    this.failures = [];
    this.failureIndex = new Map();
    this.droppedCounts = new Map();
  }
}

/**
 * The driver side: batches from every worker, applied to `sink` in completion-time order up to
 * the time every worker has reported to (so the timeline's buckets get exactly their executions).
 */
export class BatchMerger {
  private readonly queues: { batches: RecordBatch[]; pos: number; upTo: number }[];

  constructor(
    workers: number,
    private readonly sink: RecordSink,
  ) {
    this.queues = Array.from({ length: workers }, () => ({ batches: [], pos: 0, upTo: -Infinity }));
  }

  push(worker: number, batch: RecordBatch): void {
    const q = this.queues[worker]!;
    for (const [app, query, count] of batch.dropped) for (let i = 0; i < count; i++) this.sink.dropped(app, query);
    if (batch.data.length > 0) q.batches.push(batch);
    q.upTo = batch.upTo;
    this.drain();
  }

  /** A worker that will send nothing more (it stopped or died). */
  finish(worker: number): void {
    this.queues[worker]!.upTo = Infinity;
    this.drain();
  }

  private drain(): void {
    const watermark = Math.min(...this.queues.map((q) => q.upTo));
    for (;;) {
      let best = -1;
      let bestAt = Infinity;
      for (let w = 0; w < this.queues.length; w++) {
        const q = this.queues[w]!;
        const head = q.batches[0];
        if (!head) continue;
        const at = head.data[q.pos + 3]!;
        if (at < bestAt) {
          bestAt = at;
          best = w;
        }
      }
      if (best < 0 || bestAt > watermark) return;
      const q = this.queues[best]!;
      const b = q.batches[0]!;
      const d = b.data;
      const o = q.pos;
      const f = d[o + 5]!;
      const failure = f < 0 ? undefined : b.failures[f]!;
      this.sink.record(d[o]!, d[o + 1]!, d[o + 2]!, d[o + 3]!, d[o + 4]!, failure ? { ok: false, sqlstate: failure[0], message: failure[1] } : OK);
      q.pos += FIELDS;
      if (q.pos >= d.length) {
        q.batches.shift();
        q.pos = 0;
      }
    }
  }
}

const OK: Outcome = { ok: true };

// ─── spawning ────────────────────────────────────────────────────────────────────────────────

/**
 * Compiled (dist/, the published package): the worker runs shard-worker.js as it is. From the
 * TypeScript sources (a clone, the tests): the worker registers tsx's CommonJS hooks (they transform
 * in the worker's own thread; its ESM hooks run a loader thread that costs CPU all along) and then
 * requires its module.
 */
function newWorker(workerData: WorkerInput): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./shard-worker.js', import.meta.url), { workerData });
  const api = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const entry = fileURLToPath(new URL('./shard-worker.ts', import.meta.url));
  return new Worker(`require(${JSON.stringify(api)}).register(); require(${JSON.stringify(entry)});`, { eval: true, workerData });
}

export interface WorkerShard {
  worker: Worker;
  /** resolves once its connections are open; rejects when they could not be */
  ready: Promise<void>;
  /** resolves when it stopped (or died) and everything it measured has been pushed */
  stopped: Promise<void>;
}

/** Start a worker for one shard; its batches go to merger as `index`. */
export function spawnShard(
  index: number,
  input: Omit<WorkerInput, 'clockOffset'>,
  now: () => number,
  merger: BatchMerger,
  warn: (m: string) => void,
): WorkerShard {
  // every thread's process.hrtime is the same monotonic clock: send our clock's offset from it
  const clockOffset = now() - hrMs();
  const worker = newWorker({ ...input, clockOffset } satisfies WorkerInput);
  let onReady!: () => void;
  let onFailed!: (e: Error) => void;
  let onStopped!: () => void;
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    onFailed = rej;
  });
  const stopped = new Promise<void>((res) => (onStopped = res));
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    merger.finish(index);
    onStopped();
  };
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'records') merger.push(index, m);
    else if (m.type === 'ready') onReady();
    else if (m.type === 'failed') onFailed(new Error(m.message));
    else if (m.type === 'warn') warn(m.message);
    else if (m.type === 'stopped') finish();
  });
  worker.on('error', (err) => {
    onFailed(err);
    warn(`traffic: a worker thread failed: ${err.message}`);
    finish();
  });
  worker.on('exit', () => {
    onFailed(new Error('the traffic worker exited before its connections were open'));
    finish();
  });
  return { worker, ready, stopped };
}
