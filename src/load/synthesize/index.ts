import fs from 'node:fs/promises';
import os from 'node:os';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { describeError, RehearseError, usageError } from '../../core/errors.ts';
import { readStatsFile, type StatsFile } from '../../stats/index.ts';
import type { Logger } from '../../core/log.ts';
import { inspectDump } from '../detect.ts';
import { restoreArchive, restorePlain } from '../restore.ts';
import { readSynthCatalog } from './catalog.ts';
import { deferredObjects } from './defer.ts';
import { clientFormat, copyInSql, DRAWS, insertSql, planSynthesis, redrawsOnServer, selectSql, type TablePlan } from './plan.ts';
import { type ClientRows, chunkOf, clientRowsOf, framing, RowMakers } from './rows-thread.ts';
import { after, runWorks, work, type Work } from './schedule.ts';
import type { SynthesisResult, SynthesisSpec } from './types.ts';

export type { SynthesisResult, SynthesisSpec, SynthesizedTable } from './types.ts';
export { planSynthesis, insertSql } from './plan.ts';
export { readSynthCatalog } from './catalog.ts';

/**
 * Restore the schema, then make rows of the statistics' shape for every table:
 *   1. the schema file: as one query (plain SQL without psql meta-commands), else through psql
 *      or pg_restore;
 *   2. its foreign keys, keys and indexes dropped (they are built after the rows, as pg_restore does);
 *   3. every table filled by COPY FROM, its rows made in this process (values-js.ts) or, for types
 *      only SQL makes, by COPY (SELECT … generate_series) on a second connection (for a table with
 *      CHECKs or domains the client's rows are a first try: when one breaks a constraint, the
 *      server makes the table with its redraws); tables (and
 *      chunks of very big tables) in parallel over `jobs` connections: no table reads another (a
 *      child computes its parents' keys), so the order is free; a table filled in one chunk is
 *      TRUNCATEd in the same transaction first (wal_level=minimal: no WAL; COPY FREEZE);
 *   4. each key and index built again as soon as its table's rows are in, on whichever of the
 *      `jobs` connections is free: beside each other and beside the next table's rows, which this
 *      process makes meanwhile (schedule.ts); each foreign key, which validates every row, once
 *      both its tables' builds are done;
 *   5. identity and serial sequences moved past the rows.
 */
export async function synthesize(url: string, spec: SynthesisSpec, log: Logger): Promise<SynthesisResult> {
  const stats = await readStatsFile(spec.stats);
  // row-making threads (rows-thread.ts), started when a fill first needs one
  const makers = new RowMakers();
  try {
    return await synthesizeWith(url, spec, stats, makers, log);
  } finally {
    makers.close();
  }
}

async function synthesizeWith(url: string, spec: SynthesisSpec, stats: StatsFile, makers: RowMakers, log: Logger): Promise<SynthesisResult> {
  const t0 = performance.now();
  await restoreSchema(spec.schema, url, log);
  const schemaMs = performance.now() - t0;

  const catalog = await readSynthCatalog(url);
  const plans = planSynthesis({ catalog, stats, statsFile: spec.stats, fraction: spec.fraction, seed: spec.seed });
  const jobs = Math.max(1, Math.floor(spec.jobs ?? os.availableParallelism()));
  const deferred = deferredObjects(catalog.tables);
  // on the same connection: the deferred objects dropped, and the memory the builds will share
  const budget = await withClient(url, async (c) => {
    await c.query('BEGIN');
    for (const sql of deferred.drop) await c.query(sql);
    await c.query('COMMIT');
    return Number((await c.query(`SELECT pg_size_bytes(current_setting('maintenance_work_mem')) AS b`)).rows[0].b);
  });

  const t1 = performance.now();
  const canCheckDomains = catalog.versionNum >= 160000;
  const total = plans.reduce((s, p) => s + p.rows, 0);
  let made = 0;
  const progress = log.progress(`synthesizing ${plans.length} tables, ${total.toLocaleString('en-US')} rows (${jobs} connection${jobs === 1 ? '' : 's'})`);
  // the work graph (schedule.ts): per table its fills (chunks), then each key and index, then
  // each foreign key once its table's and its parent's builds are done
  const format = spec.copyFormat ?? 'text';
  // worker threads when two fills of that size can run side by side (they then make rows on two
  // cores); a single big table's rows are made here, where they go to the COPY without a hand-over
  const bigFills = plans.filter((p) => p.rows >= WORKER_ROWS).length;
  const workerRows = spec.workerRows ?? (bigFills >= 2 && jobs >= 2 ? WORKER_ROWS : Number.MAX_SAFE_INTEGER);
  // tables (some of) whose rows the server made: types only SQL makes, or a first draw that broke a CHECK
  const byServer = new Set<string>();
  const works: Work<pg.Client>[] = [];
  const analyzed: string[] = [];
  const lastOf = new Map<string, Work<pg.Client>[]>(); // per table: the works a foreign key waits for
  for (const plan of plans) {
    const chunks = chunksOf(plan.rows, jobs, spec.chunkRows);
    const fills = chunks.map(([from, to]) =>
      work<pg.Client>('fill', plan.table.name, plan.rows, async (c) => {
        const inThisProcess = format === 'text' && spec.generator !== 'server' ? clientFormat(plan, spec.clientBinary ?? true) : null;
        const binary = inThisProcess === 'binary';
        // a big table's rows made by a worker thread (rows-thread.ts), a small one's here (no thread to
        // start); only the thread that makes them sets up their functions (and memos)
        const inClient: RowSource | null = inThisProcess && {
          binary,
          open:
            to - from >= workerRows
              ? (a, b, on) => makers.rows(plan.table.name, a, b, binary, on)
              : (a, b, on) => clientRows(clientRowsOf(plan, binary)!, a, b, on),
        };
        const onRows = (n: number) =>
          progress.update(
            format === 'binary'
              ? `${plan.table.name}: ${(n / 1024 / 1024).toFixed(0)} MiB of rows so far (${plan.rows.toLocaleString('en-US')} rows)`
              : `${plan.table.name} ${(from + n).toLocaleString('en-US')} of ${plan.rows.toLocaleString('en-US')} rows; ${Math.floor((100 * (made + n)) / Math.max(1, total))}% of all rows`,
          );
        const fill = { c, plan, from, to, truncate: chunks.length === 1, canCheckDomains, url, onRows, format };
        if ((await fillRange(fill, inClient, log)) === 'server') byServer.add(plan.table.name);
        made += to - from;
        progress.update(
          `${plan.table.name} ${to.toLocaleString('en-US')} of ${plan.rows.toLocaleString('en-US')} rows; ${Math.floor((100 * made) / Math.max(1, total))}% of all rows`,
        );
      }),
    );
    const builds = deferred.build
      .filter((b) => b.table === plan.table.name)
      .map((b) =>
        work<pg.Client>('build', b.label, plan.rows, async (c, { alone }) => {
          progress.update(`building ${b.label}`);
          // a build with nothing beside it (pgbench's one big key) may use the idle connections'
          // cores as parallel workers; beside other work it uses none (the connections use the cores)
          const parallel = alone && jobs > 1;
          if (parallel) await c.query(`SET max_parallel_maintenance_workers = ${jobs - 1}`);
          try {
            await runDdl(c, b.sql, b.table);
          } finally {
            if (parallel) await c.query('SET max_parallel_maintenance_workers = 0');
          }
        }),
      );
    // ANALYZE between the rows and the builds, beside other tables' work (a table with an expression
    // index is analyzed after the load: ANALYZE gathers its expressions' statistics once it exists)
    const expressionIndex = plan.table.indexes.some((i) => i.columns.some((c) => c === null));
    const analyze =
      plan.rows > 0 && !expressionIndex
        ? work<pg.Client>('analyze', plan.table.name, plan.rows, async (c) => {
            progress.update(`ANALYZE ${plan.table.name}`);
            await c.query(`ANALYZE ${plan.table.ident}`);
            analyzed.push(plan.table.name);
          })
        : null;
    if (analyze) after(analyze, ...fills);
    for (const b of builds) after(b, ...(analyze ? [analyze] : fills));
    works.push(...fills, ...(analyze ? [analyze] : []), ...builds);
    lastOf.set(plan.table.name, builds.length ? builds : fills);
  }
  for (const fk of deferred.foreignKeys) {
    const w = work<pg.Client>('fk', fk.label, plans.find((p) => p.table.name === fk.table)?.rows ?? 0, async (c) => {
      progress.update(`foreign key ${fk.label}`);
      await runDdl(c, fk.sql, fk.table);
    });
    after(w, ...(lastOf.get(fk.table) ?? []), ...((fk.references && lastOf.get(fk.references)) || []));
    works.push(w);
  }
  // builds side by side share maintenance_work_mem: each gets the server's setting over the
  // connections (at least 64MB, PostgreSQL's default); no parallel workers (the connections use the cores)
  const perBuild = Math.max(64 * 1024 * 1024, Math.floor(budget / jobs));
  const t1w = performance.now();
  makers.plan({ catalog, stats, statsFile: spec.stats, fraction: spec.fraction, seed: spec.seed });
  const steps = await runWorks(
    works,
    jobs,
    async () => {
      const c = await connect(url);
      if (jobs > 1) await c.query('SET max_parallel_maintenance_workers = 0');
      if (perBuild < budget) await c.query(`SET maintenance_work_mem = '${Math.floor(perBuild / 1024)}kB'`);
      return c;
    },
    (c) => c.end().catch(() => undefined),
  );
  const server = [...byServer].sort();
  progress.done(
    `${total.toLocaleString('en-US')} rows, ${deferred.build.length} keys and indexes; ` +
      (server.length === 0 ? 'every table made in this process' : `made by the server: ${server.join(', ')}`),
  );
  // the rows phase ends with the last fill or build; the foreign keys still running after it are the constraints phase
  const rowsEnd = Math.max(0, ...steps.filter((w) => w.kind !== 'fk').map((w) => w.startMs + w.ms));
  const t2 = performance.now();
  if (plans.some((p) => p.sequences.length > 0)) {
    await withClient(url, async (c) => {
      for (const plan of plans) {
        for (const s of plan.sequences) {
          await c.query(
            `SELECT setval(${literal(s.sequence)}, coalesce((SELECT max(${pg.escapeIdentifier(s.column)}) FROM ${plan.table.ident}), 0) + 1, false)`,
          );
        }
      }
    });
  }
  const rowsMs = Math.min(t1w - t1 + rowsEnd, t2 - t1);
  return {
    tables: plans.map((p) => ({ name: p.table.name, statsRows: p.statsRows, rows: p.rows })).sort((a, b) => (a.name < b.name ? -1 : 1)),
    phaseMs: { schema: Math.round(schemaMs), rows: Math.round(rowsMs), constraints: Math.round(performance.now() - t1 - rowsMs) },
    steps: steps.map((w) => ({ ...w, startMs: Math.round(w.startMs), ms: Math.round(w.ms) })),
    analyzed: analyzed.sort(),
  };
}

/**
 * The schema file: plain SQL without psql meta-commands (pg_dump's \restrict lines aside) is sent
 * as one simple query — no psql to start, an error names file:line; anything else goes through
 * the load stage's psql / pg_restore.
 */
async function restoreSchema(file: string, url: string, log: Logger): Promise<void> {
  const dump = await inspectDump(file);
  if (dump.format === 'plain' && dump.size < 64 * 1024 * 1024) {
    const text = (await fs.readFile(file, 'utf8')).replace(/^\\(un)?restrict\b.*$/gm, '');
    if (!/^\s*\\/m.test(text)) {
      const progress = log.progress(`schema ${file}`);
      await withClient(url, async (c) => {
        try {
          await c.query(text);
        } catch (err) {
          const position = Number((err as { position?: string }).position);
          const line = position > 0 ? text.slice(0, position - 1).split('\n').length : null;
          throw usageError(
            `${file}${line ? `:${line}` : ''}: ${describeError(err)}`,
            'the schema file must restore into an empty database: make it with pg_dump --schema-only --no-owner --no-privileges',
            err,
          );
        }
      });
      progress.done();
      return;
    }
  }
  if (dump.format === 'plain' || dump.format === 'plain-gzip') await restorePlain(dump, url, log);
  else await restoreArchive(dump, url, 1, log);
}

/** Rows [from, to) of a table to fill on connection `c`, and what filling them needs. */
interface Fill {
  c: pg.Client;
  plan: TablePlan;
  from: number;
  to: number;
  /** the table's only chunk: TRUNCATEd first in the same transaction (no WAL, COPY FREEZE) */
  truncate: boolean;
  canCheckDomains: boolean;
  url: string;
  onRows: (rows: number) => void;
  format: 'text' | 'binary';
}

/**
 * Rows [from, to) of a table, made in the client when `inClient` is given (for a table with CHECKs
 * or domains: its first draw, else the server's redraws), otherwise by the server.
 */
async function fillRange(
  fill: Fill,
  /** the rows' COPY text made in the client (values-js.ts), or null: made by a second backend */
  inClient: RowSource | null,
  log: Logger,
): Promise<'client' | 'server'> {
  if (inClient && redrawsOnServer(fill.plan)) {
    // the client's rows are the first draw: kept when every one meets the table's CHECKs and domains
    const broken = await fillOnce(fill, inClient, true);
    if (broken === null) return 'client';
    log.info(`${fill.plan.table.name}: a row of the first draw breaks ${broken}; made by the server, with redraws`);
    inClient = null;
  }
  await fillOnce(fill, inClient, false);
  return inClient ? 'client' : 'server';
}

/**
 * One try at rows [from, to) in one transaction: COPY FROM STDIN of the client's rows, or of
 * `COPY (SELECT … generate_series …) TO STDOUT` on a second connection (COPY inserts in batches,
 * INSERT … SELECT row by row: measured faster, docs/synthesis.md). When it is the table's only
 * chunk the table is TRUNCATEd first in the same transaction, so the rows skip the WAL
 * (wal_level=minimal) and are loaded frozen (COPY FREEZE), as VACUUM FREEZE would leave them.
 * With `firstTry`, a broken constraint rolls it back and is returned by name.
 */
async function fillOnce(
  { c, plan, from, to, truncate, canCheckDomains, url, onRows, format }: Fill,
  inClient: RowSource | null,
  firstTry: boolean,
): Promise<string | null> {
  await c.query('BEGIN');
  let source: pg.Client | undefined;
  try {
    // user triggers (audit tables, ...) do not fire for generated rows, as with pg_restore --disable-triggers
    await c.query(`SAVEPOINT r; SET LOCAL session_replication_role = replica`).catch(() => c.query('ROLLBACK TO SAVEPOINT r'));
    if (truncate) await c.query(`TRUNCATE ${plan.table.ident}`);
    let got = 0;
    if (to > from && plan.columns.length === 0) {
      got = (await c.query(insertSql(plan, from, to, canCheckDomains))).rowCount ?? 0;
    } else if (to > from && inClient) {
      const sink = c.query(copyFrom(copyInSql(plan, truncate, inClient.binary)));
      await pipeline(inClient.open(from, to, onRows), sink);
      got = Number(sink.rowCount ?? 0);
    } else if (to > from) {
      // TimeZone UTC: a timestamp without time zone is made from a timestamptz, as values-js.ts makes it
      source = new pg.Client({ connectionString: url, application_name: 'pg-rehearse synthesize', options: '-c TimeZone=UTC' });
      await source.connect();
      const binary = format === 'binary';
      const sink = c.query(copyFrom(copyInSql(plan, truncate, binary)));
      const rows = source.query(copyTo(`COPY (${selectSql(plan, from, to, canCheckDomains)}) TO STDOUT${binary ? ' (FORMAT binary)' : ''}`));
      await pipeline(rows, rowCounter(onRows, binary), sink);
      got = Number(sink.rowCount ?? 0);
    }
    if (got < to - from) {
      throw usageError(
        `${plan.table.name}: ${(to - from - got).toLocaleString('en-US')} of ${(to - from).toLocaleString('en-US')} rows met no CHECK constraint of the table (${plan.checks.map((ch) => ch.name).join(', ') || 'domain checks'}) in ${DRAWS} draws`,
        'the constraints of this table cannot be met with these statistics: check its CHECK constraints against the column statistics (distinct counts, null fractions)',
      );
    }
    await c.query('COMMIT');
    return null;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    if (err instanceof RehearseError) throw err;
    const code = (err as { code?: string }).code;
    // check_violation (a CHECK or a domain's), not_null_violation (a NOT NULL domain)
    if (firstTry && (code === '23514' || code === '23502')) return (err as { constraint?: string }).constraint ?? code;
    throw usageError(
      `synthesizing ${plan.table.name} failed: ${describeError(err)}`,
      'the schema or the statistics ask for values this table cannot hold (see docs/synthesis.md); rehearse this table from a dump if it persists',
      err,
    );
  } finally {
    await source?.end().catch(() => undefined);
  }
}

/** Rows [from, to) of a table as COPY data (text, or binary when `binary`: plan.ts's clientFormat), made in this process: in a worker thread or in this one. */
interface RowSource {
  binary: boolean;
  open: (from: number, to: number, onRows: (rows: number) => void) => Readable;
}
/** From this many rows a fill's rows are made by a worker thread (starting one costs ~0.1 s with tsx). */
const WORKER_ROWS = 50_000;

/** Rows [from, to) as COPY data, made in this thread in chunks of 4,096 rows, progress every second. */
function clientRows(rows: ClientRows, from: number, to: number, onRows: (rows: number) => void): Readable {
  let k = from;
  let last = Date.now();
  let size = 0;
  const frame = framing(rows.binary);
  let started = false;
  return new Readable({
    read() {
      if (frame && !started) {
        started = true;
        this.push(frame.head);
        return;
      }
      if (k >= to) {
        if (frame) this.push(frame.tail);
        this.push(null);
        return;
      }
      const end = Math.min(to, k + 4096);
      const { buffer, bytes } = chunkOf(rows, k, end, Math.ceil(size * 1.1));
      size = bytes;
      k = end;
      if (Date.now() - last > 1000) {
        last = Date.now();
        onRows(k - from);
      }
      this.push(buffer.subarray(0, bytes));
    },
  });
}

/**
 * Counts the rows of COPY text passing through (one newline each: newlines inside values are
 * escaped); in binary, the bytes (progress says MiB then).
 */
function rowCounter(onRows: (rows: number) => void, binary: boolean): Transform {
  let rows = 0;
  let last = Date.now();
  return new Transform({
    transform(chunk: Buffer, _enc, next) {
      if (binary) rows += chunk.length;
      else for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
      if (Date.now() - last > 1000) {
        last = Date.now();
        onRows(rows);
      }
      next(null, chunk);
    },
  });
}

/**
 * A table's rows as chunks for the pool: one chunk below 2 × chunkRows rows (after a TRUNCATE:
 * no WAL, loaded frozen), else up to `jobs` chunks side by side. One chunk already keeps two
 * backends busy (one generating, one loading); splitting costs the WAL skip and the freeze, so
 * only very big tables are split (measured, docs/synthesis.md).
 */
export function chunksOf(rows: number, jobs: number, chunkRows = CHUNK_ROWS): [number, number][] {
  const n = rows < 2 * chunkRows ? 1 : Math.min(jobs, Math.ceil(rows / chunkRows));
  return Array.from({ length: n }, (_, i) => [Math.floor((rows * i) / n), Math.floor((rows * (i + 1)) / n)]);
}
const CHUNK_ROWS = 5_000_000;

async function runDdl(c: pg.Client, sql: string, table: string, attempt = 1): Promise<void> {
  try {
    await c.query(sql);
  } catch (err) {
    if ((err as { code?: string }).code === '40P01' && attempt < 5) return runDdl(c, sql, table, attempt + 1);
    throw usageError(
      `synthesized ${table}: ${sql.split('\n')[0]} failed: ${describeError(err)}`,
      'the generated rows do not meet this constraint: please report it with the schema and the statistics',
      err,
    );
  }
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await connect(url);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'pg-rehearse synthesize' });
  await c.connect();
  return c;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
