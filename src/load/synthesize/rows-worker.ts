import { parentPort } from 'node:worker_threads';
import { planSynthesis, type TablePlan } from './plan.ts';
import { AHEAD, CHUNK_ROWS, chunkOf, clientRowsOf, type FromWorker, type RowsInput, type ToWorker } from './rows-thread.ts';

/** A worker thread making rows as COPY text (see rows-thread.ts for the protocol). */

let input: RowsInput | undefined;
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
  if (m.type === 'plan') {
    input = m.input;
    plans = undefined;
    return;
  }
  make(m.table, m.from, m.to, m.binary).catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
});

async function make(table: string, from: number, to: number, binary: boolean): Promise<void> {
  if (!input) throw new Error('no plan input');
  plans ??= new Map(planSynthesis(input).map((p) => [p.table.name, p]));
  const plan = plans.get(table);
  const rows = plan ? clientRowsOf(plan, binary) : null;
  if (!rows) throw new Error(`${table} is not a table whose rows are made in the client${binary ? ' in binary' : ''}`);
  inFlight = 0;
  let size = 0;
  for (let k = from; k < to; ) {
    while (inFlight >= AHEAD) await new Promise<void>((r) => (acked = r));
    const end = Math.min(to, k + CHUNK_ROWS);
    const { buffer, bytes } = chunkOf(rows, k, end, Math.ceil(size * 1.1));
    size = bytes;
    // its own memory, to transfer (allocUnsafe of 64 KiB or more never comes from the shared pool)
    inFlight++;
    post({ type: 'chunk', buffer: buffer.buffer as ArrayBuffer, bytes, rows: end - k }, [buffer.buffer as ArrayBuffer]);
    k = end;
  }
  post({ type: 'end' });
}
