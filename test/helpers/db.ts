import pg from 'pg';
import { inject } from 'vitest';

let counter = 0;

/** A new empty database on the shared test server; returns its URL. */
export async function freshDatabase(prefix = 't'): Promise<string> {
  const base = inject('pgUrl');
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`.toLowerCase();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = '/' + name;
  return url.toString();
}

/** Run SQL on a database and return the rows of the last statement. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query<T>(text, params);
    const last = Array.isArray(res) ? res.at(-1) : res;
    return (last?.rows ?? []) as T[];
  } finally {
    await client.end();
  }
}
