import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '../src/migrations/index.ts';
import { replay } from '../src/replay/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { freshDatabase, sql } from './helpers/db.ts';

/**
 * Acceptance (issue 6): hand-written fixtures in each tool's real layout and tracking-table shape,
 * some migrations applied in the loaded database: exactly the pending ones are replayed, in order.
 * The "dump" here is a database where the applied migrations' own SQL has run and the tool's
 * tracking table records them; replaying one of them again would fail (its tables exist).
 */

const fixture = (...parts: string[]) => path.join('test/fixtures-migrations', ...parts);
const run = async (url: string, ...file: string[]) => sql(url, await readFile(fixture(...file), 'utf8'));

/** read the folder against the database, replay the pending ones, return the ids replayed and the columns left */
async function rehearse(url: string, folder: string) {
  const set = await readMigrations(folder, { url });
  const result = await replay({ url, migrations: set.migrations.filter((m) => m.pending), log: silentLogger });
  const columns = await sql<{ c: string }>(
    url,
    `SELECT table_name || '.' || column_name AS c FROM information_schema.columns
      WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  return { set, result, replayed: result.migrations.map((m) => [m.id, m.status]), columns: columns.map((r) => r.c) };
}

describe('exactly the pending migrations are replayed, in order', () => {
  it('Prisma', async () => {
    const url = await freshDatabase('accept_prisma');
    await run(url, 'prisma', 'migrations', '0_init', 'migration.sql');
    await run(url, 'prisma', 'migrations', '20240102120000_add_orders', 'migration.sql');
    await sql(
      url,
      `CREATE TABLE "_prisma_migrations" (
         "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
         "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
         "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
       INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES
         ('6f1c0d5e-0000-4000-8000-000000000001', 'c0', now(), '0_init', 1),
         ('6f1c0d5e-0000-4000-8000-000000000002', 'c1', now(), '20240102120000_add_orders', 1)`,
    );
    const { result, replayed, columns } = await rehearse(url, fixture('prisma'));
    expect(result.ok).toBe(true);
    expect(replayed).toEqual([
      ['20240103090000', 'applied'],
      ['20240110080000', 'applied'],
    ]);
    expect(columns).toContain('Order.status');
    const indexes = await sql<{ indexname: string }>(url, `SELECT indexname FROM pg_indexes WHERE tablename = 'Order' ORDER BY 1`);
    expect(indexes.map((r) => r.indexname)).toEqual(['Order_pkey', 'Order_userId_idx']);
  });

  it('Drizzle', async () => {
    const url = await freshDatabase('accept_drizzle');
    await run(url, 'drizzle', '0000_tidy_hulk.sql');
    await sql(
      url,
      `CREATE SCHEMA IF NOT EXISTS "drizzle";
       CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint);
       INSERT INTO "drizzle"."__drizzle_migrations" ("hash", "created_at") VALUES ('hash-0000', 1714000000000)`,
    );
    const { result, replayed, columns } = await rehearse(url, fixture('drizzle'));
    expect(result.ok).toBe(true);
    expect(replayed).toEqual([
      ['0001', 'applied'],
      ['0002', 'applied'],
    ]);
    // the .sql file the journal does not list (it drops "users") is not replayed
    expect(columns).toEqual(['orders.id', 'orders.user_id', 'orders.total', 'users.id', 'users.email', 'users.name']);
  });

  it('node-pg-migrate', async () => {
    const url = await freshDatabase('accept_npm');
    await sql(url, 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)');
    await sql(url, `ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active'`);
    await sql(
      url,
      `CREATE TABLE "public"."pgmigrations" (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
       INSERT INTO "public"."pgmigrations" (name, run_on) VALUES
         ('1700000000000_create-users', NOW()), ('20231114221400000_add-status', NOW())`,
    );
    const { set, result, replayed, columns } = await rehearse(url, fixture('node-pg-migrate'));
    expect(set.trackingTable).toBe('pgmigrations');
    expect(result.ok).toBe(true);
    expect(replayed).toEqual([
      ['1700000100000', 'applied'],
      ['1700000200000', 'applied'],
    ]);
    expect(columns.filter((c) => c.startsWith('users.'))).toEqual(['users.id', 'users.email', 'users.status', 'users.name']);
    // the down section written before the up one was not run
    expect(result.migrations[0]?.statements.map((s) => s.kind)).toEqual(['AlterTableStmt', 'UpdateStmt']);
  });
});
