import type pg from 'pg';
import type { LockTaken, Rewrite } from './types.ts';
import { relationNameSql } from '../core/relation-name.ts';

/** Object ids below this are PostgreSQL's own catalogs (FirstNormalObjectId). */
const FIRST_USER_OID = 16384;

/** What a backend holds and where the user relations' files are, at one instant. */
export interface Snapshot {
  lsn: string;
  /** key `${oid}:${mode}` → lock */
  locks: Map<string, LockTaken>;
  /** relation oid → [relfilenode, name, relkind], every user relation (relfilenode 0: no storage) */
  files: Map<number, { relfilenode: number; name: string; relkind: string }>;
}

interface SnapshotRow {
  lsn: string;
  locks: [string, string, string | null, string | null][] | null;
  files: [string, string, string, string][] | null;
}

// One round trip: the WAL position, this backend's granted relation locks, and every user relation
// with its file (relfilenode 0 = no storage: partitioned, view). Rewrites are read from tables,
// indexes, TOAST tables and materialized views; the others are there to know what a transaction created.
const SNAPSHOT_SQL = `
SELECT pg_current_wal_insert_lsn()::text AS lsn,
  (SELECT json_agg(json_build_array(l.relation::int8::text, l.mode, ${relationNameSql('c')}, c.relkind::text))
     FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
    WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
      AND l.relation >= ${FIRST_USER_OID}) AS locks,
  (SELECT json_agg(json_build_array(c.oid::int8::text, c.relfilenode::int8::text, ${relationNameSql('c')}, c.relkind::text))
     FROM pg_class c
    WHERE c.oid >= ${FIRST_USER_OID}) AS files`;

export async function takeSnapshot(client: pg.Client | pg.PoolClient, names: Map<number, string>): Promise<Snapshot> {
  const { rows } = await client.query<SnapshotRow>(SNAPSHOT_SQL);
  const row = rows[0]!;
  const files: Snapshot['files'] = new Map();
  for (const [oid, rfn, name, relkind] of row.files ?? []) {
    files.set(Number(oid), { relfilenode: Number(rfn), name, relkind });
    names.set(Number(oid), name);
  }
  const locks: Snapshot['locks'] = new Map();
  for (const [oid, mode, name, relkind] of row.locks ?? []) {
    locks.set(`${oid}:${mode}`, { relation: name ?? names.get(Number(oid)) ?? unresolved(oid), mode, relkind });
  }
  return { lsn: row.lsn, locks, files };
}

const UNRESOLVED = 'oid ';
const unresolved = (oid: string) => UNRESOLVED + oid;
const isUnresolved = (relation: string) => relation.startsWith(UNRESOLVED);

/**
 * Name the relations that were not visible when their lock was read (created by a concurrent
 * build not yet committed). Locks on relations that no longer exist and were never named were on
 * transient relations created and dropped inside the statement (the new heap of a rewrite): nobody
 * else could wait for them, so they are left out.
 */
export async function resolveLockNames(client: pg.Client | pg.PoolClient, locks: LockTaken[], names: Map<number, string>): Promise<LockTaken[]> {
  const missing = locks.filter((l) => isUnresolved(l.relation)).map((l) => l.relation.slice(UNRESOLVED.length));
  if (missing.length === 0) return locks;
  const { rows } = await client.query<{ oid: string; name: string; relkind: string }>(
    `SELECT c.oid::int8::text AS oid, ${relationNameSql('c')} AS name, c.relkind::text AS relkind FROM pg_class c WHERE c.oid = ANY($1::oid[])`,
    [missing],
  );
  const found = new Map(rows.map((r) => [r.oid, r]));
  return locks.flatMap((l) => {
    if (!isUnresolved(l.relation)) return [l];
    const r = found.get(l.relation.slice(UNRESOLVED.length));
    if (!r) return [];
    names.set(Number(r.oid), r.name);
    return [{ ...l, relation: r.name, relkind: r.relkind }];
  });
}

/** Locks held after but not before: the ones the statement acquired. */
export function newLocks(before: Snapshot, after: Snapshot): LockTaken[] {
  return [...after.locks.entries()].filter(([k]) => !before.locks.has(k)).map(([, l]) => l);
}

const STORAGE_KINDS = new Set(['r', 'i', 't', 'm']);
type File = Snapshot['files'] extends Map<number, infer F> ? F : never;

/** A table, index, TOAST table or materialized view got a new file: PostgreSQL wrote a new copy of it. */
export const newStorage = (b: File, a: File | undefined): a is File =>
  a !== undefined && STORAGE_KINDS.has(a.relkind) && b.relfilenode !== 0 && a.relfilenode !== 0 && a.relfilenode !== b.relfilenode;

/** Relations whose relfilenode changed: PostgreSQL wrote a new copy of them. */
export function rewrites(before: Snapshot, after: Snapshot): Rewrite[] {
  const out: Rewrite[] = [];
  for (const [oid, b] of before.files) {
    const a = after.files.get(oid);
    if (newStorage(b, a)) {
      out.push({ relation: a.name, relkind: a.relkind, relfilenodeBefore: b.relfilenode, relfilenodeAfter: a.relfilenode });
    }
  }
  return out;
}

/** Relations in `after` that `base` (the snapshot when the transaction began) did not have: created by the transaction. */
export function createdSince(base: ReadonlySet<number>, after: Snapshot): string[] {
  return [...after.files].filter(([oid]) => !base.has(oid)).map(([, f]) => f.name);
}

export function walBytes(beforeLsn: string, afterLsn: string): number {
  return Number(lsnToBigInt(afterLsn) - lsnToBigInt(beforeLsn));
}

function lsnToBigInt(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt('0x' + hi) << 32n) + BigInt('0x' + lo);
}

/**
 * Locks of another backend, polled from this connection while a statement runs outside a
 * transaction block (CREATE INDEX CONCURRENTLY and friends): back to back for the first 200 ms,
 * then every 5 ms.
 */
export function sampleLocks(client: pg.Client, pid: number, names: Map<number, string>) {
  const seen = new Map<string, LockTaken>();
  let running = true;
  const started = Date.now();
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ oid: string; mode: string; name: string | null; relkind: string | null }>(
        `SELECT l.relation::int8::text AS oid, l.mode, ${relationNameSql('c')} AS name, c.relkind::text AS relkind
           FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
          WHERE l.pid = $1 AND l.locktype = 'relation' AND l.granted AND l.relation >= ${FIRST_USER_OID}`,
        [pid],
      );
      for (const r of rows) {
        const key = `${r.oid}:${r.mode}`;
        const known = seen.get(key);
        // a relation another backend is creating is invisible until it commits: look again later
        if (!known || isUnresolved(known.relation)) {
          seen.set(key, { relation: r.name ?? names.get(Number(r.oid)) ?? unresolved(r.oid), mode: r.mode, relkind: r.relkind });
        }
      }
      if (Date.now() - started > 200) await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop(): Promise<LockTaken[]> {
      running = false;
      await loop;
      return [...seen.values()];
    },
  };
}
