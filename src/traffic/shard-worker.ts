import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../core/errors.ts';
import { Shard } from './shard.ts';
import { BatchingSink, deserializeSamples, hrMs, type MainMessage, type WorkerInput, type WorkerMessage } from './threads.ts';

/** A worker thread running one shard of the traffic (see threads.ts for the protocol). */

const FLUSH_MS = 50;
const input = workerData as WorkerInput;
const port = parentPort!;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

// the driver's clock: its offset from the shared monotonic clock, read through performance.now()
const offset = input.clockOffset + hrMs() - performance.now();
const now = () => offset + performance.now();
const shared = new Int32Array(input.shared);

const sink = new BatchingSink((batch, transfer) => post(batch, transfer));
const shard = new Shard({
  url: input.url,
  apps: input.apps,
  samples: deserializeSamples(input.samples),
  sink,
  clock: { now, phase: () => Atomics.load(shared, 0), stopped: () => Atomics.load(shared, 1) === 1 },
  warn: (message) => post({ type: 'warn', message }),
});

let flusher: NodeJS.Timeout | undefined;
port.on('message', (m: MainMessage) => {
  if (m.type === 'start') {
    shard.start(m.t0);
    flusher = setInterval(() => sink.flush(now()), FLUSH_MS);
  } else if (m.type === 'stop') {
    clearInterval(flusher);
    void shard.stop(m.drainMs).finally(() => {
      sink.flush(Infinity);
      post({ type: 'stopped' });
      port.close();
    });
  }
});

shard.open().then(
  () => post({ type: 'ready' }),
  (err) => {
    post({ type: 'failed', message: describeError(err) });
    port.close();
  },
);
