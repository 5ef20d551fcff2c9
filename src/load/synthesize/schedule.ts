/**
 * The synthesis's work as a graph run over a few connections, as `pg_restore -j` runs a restore:
 * each table's rows (a fill), then each of its keys and indexes (a build) on whichever connection
 * is free, side by side with each other and with the next table's rows, then each foreign key once
 * both its tables' keys and indexes are built (a foreign key takes a lock that waits for a build on
 * either table).
 *
 * Which work a free connection takes: a fill when no fill is running (the rows are made in this
 * process, one thread: one fill keeps it busy, a second would only share it), else a build or a
 * foreign key (the biggest table's first), else a fill. So the tool's thread makes the next
 * table's rows while the server builds the last table's indexes.
 *
 * A table's ANALYZE runs between its rows and its builds (index.ts): it reads a sample of the
 * heap, which no build changes, and its lock would wait for a build (and hold the next one off)
 * anyway; there it runs beside other tables' work instead of alone after the load.
 */
export type WorkKind = 'fill' | 'analyze' | 'build' | 'fk';

export interface Work<C> {
  kind: WorkKind;
  /** what it is, for the log and the timings: `public.events`, `public.events events_pkey` */
  label: string;
  /** rows of the table it works on: bigger first */
  weight: number;
  run: (connection: C, when: Starting) => Promise<void>;
  /** works that may start only once this one is done */
  next: Work<C>[];
  /** unfinished works this one waits for (set by `after`) */
  waits: number;
}

/** What else is going on as a work starts. */
export interface Starting {
  /** no other work is running, nor ready to start: the other connections are idle until this one ends */
  alone: boolean;
}

export function work<C>(kind: WorkKind, label: string, weight: number, run: (connection: C, when: Starting) => Promise<void>): Work<C> {
  return { kind, label, weight, run, next: [], waits: 0 };
}

/** `w` starts after each of `before`. */
export function after<C>(w: Work<C>, ...before: Work<C>[]): void {
  for (const b of before) {
    if (b.next.includes(w)) continue;
    b.next.push(w);
    w.waits++;
  }
}

/** Wall time of one work, ms from the start of the run (for the breakdown in docs/synthesis.md). */
export interface WorkTiming {
  kind: WorkKind;
  label: string;
  startMs: number;
  ms: number;
}

/**
 * Run every work on `size` connections (opened by `open`, closed by `close`), each as soon as what
 * it waits for is done; the first error stops the rest (running works finish) and is thrown.
 */
export async function runWorks<C>(works: Work<C>[], size: number, open: () => Promise<C>, close: (c: C) => Promise<void>): Promise<WorkTiming[]> {
  const ready = works.filter((w) => w.waits === 0);
  const timings: WorkTiming[] = [];
  const t0 = performance.now();
  let left = works.length;
  let fills = 0;
  let running = 0;
  let failed: unknown;
  const waiting: (() => void)[] = [];
  const woken = () => new Promise<void>((r) => waiting.push(r));
  const signal = () => {
    for (const w of waiting.splice(0)) w();
  };

  const take = (): Work<C> | undefined => {
    const best = (pred: (w: Work<C>) => boolean) => {
      let at = -1;
      for (let i = 0; i < ready.length; i++) if (pred(ready[i]!) && (at < 0 || ready[i]!.weight > ready[at]!.weight)) at = i;
      return at < 0 ? undefined : ready.splice(at, 1)[0];
    };
    return (fills === 0 ? best((w) => w.kind === 'fill') : undefined) ?? best((w) => w.kind !== 'fill') ?? best(() => true);
  };

  const worker = async () => {
    let c: C | undefined;
    try {
      while (left > 0 && failed === undefined) {
        const w = take();
        if (!w) {
          await woken();
          continue;
        }
        c ??= await open();
        if (w.kind === 'fill') fills++;
        running++;
        const started = performance.now();
        try {
          await w.run(c, { alone: running === 1 && ready.length === 0 });
          timings.push({ kind: w.kind, label: w.label, startMs: started - t0, ms: performance.now() - started });
          for (const next of w.next) if (--next.waits === 0) ready.push(next);
        } catch (err) {
          failed ??= err;
        } finally {
          if (w.kind === 'fill') fills--;
          running--;
          left--;
          signal();
        }
      }
    } finally {
      signal(); // a waiting worker sees the end (or the failure) too
      if (c !== undefined) await close(c);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, works.length)) }, worker));
  if (failed !== undefined) throw failed;
  return timings;
}
