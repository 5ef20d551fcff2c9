import { parentPort, workerData } from 'node:worker_threads';
import { planSynthesis, rowsInClient, type TablePlan } from './plan.ts';
import { AHEAD, CHUNK_ROWS, type FromWorker, type RowsInput, type ToWorker } from './rows-thread.ts';

/** A worker thread making rows as COPY text (see rows-thread.ts for the protocol). */

const input = workerData as RowsInput;
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
let plans: Map<string, TablePlan> | undefined;
let inFlight = 0;
let acked: (() => void) | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'ack') {
    inFlight = Math.max(0, inFlight - 1);
    const wake = acked;
    acked = undefined;
    wake?.();
    return;
  }
  make(m.table, m.from, m.to).catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
});

async function make(table: string, from: number, to: number): Promise<void> {
  plans ??= new Map(planSynthesis(input).map((p) => [p.table.name, p]));
  const plan = plans.get(table);
  const line = plan && rowsInClient(plan);
  if (!line) throw new Error(`${table} is not a table whose rows are made in the client`);
  inFlight = 0;
  for (let k = from; k < to; ) {
    while (inFlight >= AHEAD) await new Promise<void>((r) => (acked = r));
    const end = Math.min(to, k + CHUNK_ROWS);
    const first = k;
    let chunk = '';
    for (; k < end; k++) chunk += line(k);
    const bytes = Buffer.from(chunk);
    // its own memory, to transfer (a small Buffer may sit in the shared pool)
    const buffer =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? bytes.buffer
        : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    inFlight++;
    post({ type: 'chunk', buffer: buffer as ArrayBuffer, rows: end - first }, [buffer as ArrayBuffer]);
  }
  post({ type: 'end' });
}
