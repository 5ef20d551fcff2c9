import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RehearseError } from '../src/core/errors.ts';
import { readMigrations, type MigrationSet } from '../src/migrations/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';

/**
 * The layouts of Prisma, Drizzle and node-pg-migrate, read from hand-written fixtures in each
 * tool's real layout, and what is pending according to each tool's real tracking table.
 */

const fixture = (name: string) => path.join('test/fixtures-migrations', name);

async function refused(promise: Promise<unknown>): Promise<RehearseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RehearseError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

/** id → pending, in order */
const pending = (set: MigrationSet) => set.migrations.map((m) => [m.id, m.pending]);
/** [line, kind, transactional] of each up statement of migration `i` */
const upLines = (set: MigrationSet, i: number) => set.migrations[i]?.up.statements.map((s) => [s.index, s.line, s.kind, s.transactional]);

// The tools' own DDL for their tracking tables.
// prisma-engines (schema-engine, postgres flavour):
const prismaTable = `
  CREATE TABLE "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
  )`;
const prismaRow = (n: number, name: string, state: 'finished' | 'failed' | 'rolled back') =>
  `('00000000-0000-4000-8000-${String(n).padStart(12, '0')}', 'checksum', ` +
  `${state === 'finished' ? 'now()' : 'NULL'}, '${name}', NULL, ${state === 'rolled back' ? 'now()' : 'NULL'}, now(), ` +
  `${state === 'finished' ? 1 : 0})`;
// drizzle-orm pg-core dialect, migrate():
const drizzleTable = `
  CREATE SCHEMA IF NOT EXISTS "drizzle";
  CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (
    id SERIAL PRIMARY KEY,
    hash text NOT NULL,
    created_at bigint
  )`;
// node-pg-migrate runner, ensureMigrationsTable():
const pgmigrationsTable = `CREATE TABLE "public"."pgmigrations" (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)`;

describe('Prisma', () => {
  it('reads prisma/migrations/<timestamp>_<name>/migration.sql, given prisma/ or prisma/migrations', async () => {
    for (const folder of [fixture('prisma'), fixture('prisma/migrations')]) {
      const set = await readMigrations(folder, {});
      expect(set.format).toBe('prisma');
      expect(set.folder).toBe(folder);
      expect(set.migrations.map((m) => [m.id, m.name, path.relative(fixture('prisma/migrations'), m.up.file)])).toEqual([
        ['0', 'init', path.join('0_init', 'migration.sql')],
        ['20240102120000', 'add_orders', path.join('20240102120000_add_orders', 'migration.sql')],
        ['20240103090000', 'orders_index', path.join('20240103090000_orders_index', 'migration.sql')],
        ['20240110080000', 'order_status', path.join('20240110080000_order_status', 'migration.sql')],
      ]);
      // Prisma has no down migrations; its script runs as one implicit transaction
      expect(set.migrations.every((m) => m.format === 'prisma' && m.down === undefined && m.up.inTransaction)).toBe(true);
    }
    const set = await readMigrations(fixture('prisma'), {});
    expect(upLines(set, 0)).toEqual([
      [0, 2, 'CreateStmt', true],
      [1, 10, 'IndexStmt', true],
    ]);
    expect(upLines(set, 1)).toEqual([
      [0, 2, 'CreateStmt', true],
      [1, 11, 'AlterTableStmt', true],
    ]);
    expect(upLines(set, 2)).toEqual([[0, 2, 'IndexStmt', false]]);
  });

  it('pending: rows of _prisma_migrations finished and not rolled back are applied, by folder name', async () => {
    const url = await freshDatabase('prisma');
    await sql(
      url,
      `${prismaTable}; INSERT INTO "_prisma_migrations" VALUES
        ${prismaRow(1, '0_init', 'finished')},
        ${prismaRow(2, '20240102120000_add_orders', 'finished')},
        ${prismaRow(3, '20240103090000_orders_index', 'rolled back')},
        ${prismaRow(4, '20231231000000_removed_from_the_repo', 'finished')}`,
    );
    const set = await readMigrations(fixture('prisma'), { url });
    expect(set.trackingTable).toBe('_prisma_migrations');
    expect(pending(set)).toEqual([
      ['0', false],
      ['20240102120000', false],
      // rolled back: prisma migrate deploy applies it again
      ['20240103090000', true],
      ['20240110080000', true],
    ]);
  });

  it('a failed migration (neither finished nor rolled back) is refused, as prisma migrate deploy refuses it (P3009)', async () => {
    const url = await freshDatabase('prisma');
    await sql(
      url,
      `${prismaTable}; INSERT INTO "_prisma_migrations" VALUES
        ${prismaRow(1, '0_init', 'finished')},
        ${prismaRow(2, '20240102120000_add_orders', 'failed')}`,
    );
    const err = await refused(readMigrations(fixture('prisma'), { url }));
    expect(err.kind).toBe('usage');
    expect(err.message).toContain('20240102120000_add_orders as started but not finished');
    expect(err.message).toContain('P3009');
    // --from decides without reading the table
    const set = await readMigrations(fixture('prisma'), { url, from: '20240102120000' });
    expect(set.trackingTable).toBeNull();
    expect(pending(set).map(([, p]) => p)).toEqual([false, false, true, true]);
  });

  it('without _prisma_migrations everything is pending; the table is found in another schema too', async () => {
    const url = await freshDatabase('prisma');
    expect((await readMigrations(fixture('prisma'), { url })).trackingTable).toBeNull();
    await sql(
      url,
      `CREATE SCHEMA app; SET search_path = app; ${prismaTable};
      INSERT INTO app."_prisma_migrations" VALUES ${prismaRow(1, '0_init', 'finished')}`,
    );
    const set = await readMigrations(fixture('prisma'), { url });
    expect(set.trackingTable).toBe('app._prisma_migrations');
    expect(pending(set).map(([, p]) => p)).toEqual([false, true, true, true]);
  });

  it('refuses migrations for another database, a folder without migration.sql, a folder without a number', async () => {
    const mysql = await refused(readMigrations(fixture('prisma-mysql'), {}));
    expect(mysql.kind).toBe('usage');
    expect(mysql.message).toContain('provider = "mysql"');
    const missing = await refused(readMigrations(fixture('prisma-missing-script'), {}));
    expect(missing.message).toBe(
      `${path.join(fixture('prisma-missing-script'), '20240102000000_lost')} has no migration.sql; prisma migrate deploy refuses such a folder too (P3015)`,
    );
    const unnumbered = await refused(readMigrations(fixture('prisma-unnumbered'), {}));
    expect(unnumbered.message).toContain('the Prisma migration folder init does not start with a number');
  });
});

describe('Drizzle', () => {
  it('reads the journal order, cuts at "--> statement-breakpoint", ignores .sql files the journal does not list', async () => {
    const set = await readMigrations(fixture('drizzle'), {});
    expect(set.format).toBe('drizzle');
    expect(set.migrations.map((m) => [m.id, m.name, path.basename(m.up.file), m.down])).toEqual([
      ['0000', 'tidy_hulk', '0000_tidy_hulk.sql', undefined],
      ['0001', 'brave_storm', '0001_brave_storm.sql', undefined],
      ['0002', 'quiet_vision', '0002_quiet_vision.sql', undefined],
    ]);
    expect(set.migrations.every((m) => m.format === 'drizzle' && m.up.inTransaction)).toBe(true);
    expect(upLines(set, 0)).toEqual([
      [0, 1, 'CreateStmt', true],
      [1, 6, 'IndexStmt', true],
    ]);
    expect(upLines(set, 1)).toEqual([
      [0, 1, 'CreateStmt', true],
      [1, 6, 'DoStmt', true],
    ]);
    // a marker right after the semicolon, and a statement without one before the marker:
    // each piece is split on its own, as drizzle-orm sends each piece on its own
    expect(set.migrations[2]?.up.statements.map((s) => [s.index, s.line, s.sql])).toEqual([
      [0, 1, 'ALTER TABLE "users" ADD COLUMN "name" text'],
      [1, 2, 'ALTER TABLE "orders" ADD COLUMN "total" integer DEFAULT 0 NOT NULL'],
      [2, 4, 'CREATE INDEX IF NOT EXISTS "orders_user_id_idx" ON "orders" USING btree ("user_id")'],
    ]);
  });

  it('pending: entries whose "when" is after the newest created_at of drizzle.__drizzle_migrations', async () => {
    const url = await freshDatabase('drizzle');
    await sql(
      url,
      `${drizzleTable}; INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES
      ('h0', 1714000000000), ('h1', 1714100000000)`,
    );
    const set = await readMigrations(fixture('drizzle'), { url });
    expect(set.trackingTable).toBe('drizzle.__drizzle_migrations');
    expect(pending(set)).toEqual([
      ['0000', false],
      ['0001', false],
      ['0002', true],
    ]);
  });

  it('pending follows the migrator: only the newest row counts, and a NULL created_at sorts first', async () => {
    const url = await freshDatabase('drizzle');
    // 0000 was never recorded, but drizzle-orm skips it: its "when" is before the newest row's
    await sql(url, `${drizzleTable}; INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('h1', 1714100000000)`);
    expect(pending(await readMigrations(fixture('drizzle'), { url }))).toEqual([
      ['0000', false],
      ['0001', false],
      ['0002', true],
    ]);
    // `order by created_at desc` puts NULL first, and the migrator reads it as 0: everything runs again
    await sql(url, `INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('hx', NULL)`);
    expect(pending(await readMigrations(fixture('drizzle'), { url })).map(([, p]) => p)).toEqual([true, true, true]);
  });

  it('an empty table, or none, leaves everything pending', async () => {
    const url = await freshDatabase('drizzle');
    expect((await readMigrations(fixture('drizzle'), { url })).trackingTable).toBeNull();
    await sql(url, drizzleTable);
    const set = await readMigrations(fixture('drizzle'), { url });
    expect(set.trackingTable).toBe('drizzle.__drizzle_migrations');
    expect(set.migrations.every((m) => m.pending)).toBe(true);
  });

  it('refuses a journal entry without its file, and the drizzle-kit 1.0 layout', async () => {
    const missing = await refused(readMigrations(fixture('drizzle-missing-file'), {}));
    expect(missing.kind).toBe('usage');
    expect(missing.message).toContain(`lists 0001_gone but ${path.join(fixture('drizzle-missing-file'), '0001_gone.sql')} does not exist`);
    const v1 = await refused(readMigrations(fixture('drizzle-v1'), {}));
    expect(v1.message).toContain('looks like a drizzle-kit 1.0 migrations folder');
  });
});

describe('node-pg-migrate', () => {
  it('reads "-- Up Migration" / "-- Down Migration" sections in node-pg-migrate order', async () => {
    const set = await readMigrations(fixture('node-pg-migrate'), {});
    expect(set.format).toBe('node-pg-migrate');
    // 17-digit UTC names are read as the time they say (2023-11-14T22:14:00Z = 1700000040000 ms)
    expect(set.migrations.map((m) => [m.id, m.name, path.basename(m.up.file), m.down && path.basename(m.down.file)])).toEqual([
      ['1700000000000', 'create-users', '1700000000000_create-users.sql', '1700000000000_create-users.sql'],
      ['20231114221400000', 'add-status', '20231114221400000_add-status.sql', '20231114221400000_add-status.sql'],
      ['1700000100000', 'add-name', '1700000100000_add-name.sql', '1700000100000_add-name.sql'],
      ['1700000200000', 'users-email-index', '1700000200000_users-email-index.sql', undefined],
    ]);
    expect(set.migrations.every((m) => m.format === 'node-pg-migrate' && m.up.inTransaction)).toBe(true);
    const [create, status, name, index] = set.migrations;
    expect(create?.up.statements.map((s) => [s.line, s.kind])).toEqual([[2, 'CreateStmt']]);
    expect(create?.down?.statements.map((s) => [s.line, s.sql])).toEqual([[8, 'DROP TABLE users']]);
    // markers are matched case-insensitively
    expect(status?.up.statements.map((s) => s.line)).toEqual([2]);
    expect(status?.down?.statements.map((s) => s.line)).toEqual([5]);
    // the down section may come first
    expect(name?.up.statements.map((s) => [s.line, s.kind])).toEqual([
      [5, 'AlterTableStmt'],
      [6, 'UpdateStmt'],
    ]);
    expect(name?.down?.statements.map((s) => [s.line, s.sql])).toEqual([[2, 'ALTER TABLE users DROP COLUMN name']]);
    expect(index?.up.statements.map((s) => [s.line, s.transactional])).toEqual([[2, false]]);
  });

  it('is told from dbmate and plain folders by its markers', async () => {
    expect((await readMigrations(fixture('dbmate'), {})).format).toBe('dbmate');
    expect((await readMigrations(fixture('plain'), {})).format).toBe('plain');
  });

  it('pending: names (file names without .sql) missing from pgmigrations, in order', async () => {
    const url = await freshDatabase('npm');
    await sql(
      url,
      `${pgmigrationsTable}; INSERT INTO pgmigrations (name, run_on) VALUES
      ('1700000000000_create-users', now()), ('20231114221400000_add-status', now())`,
    );
    const set = await readMigrations(fixture('node-pg-migrate'), { url });
    expect(set.trackingTable).toBe('pgmigrations');
    expect(pending(set)).toEqual([
      ['1700000000000', false],
      ['20231114221400000', false],
      ['1700000100000', true],
      ['1700000200000', true],
    ]);
  });

  it('applied by name, not by number: a row for another name of the same number does not count', async () => {
    const url = await freshDatabase('npm');
    await sql(
      url,
      `${pgmigrationsTable}; INSERT INTO pgmigrations (name, run_on) VALUES
      ('1700000000000_create-users', now()), ('1700000100000_renamed', now())`,
    );
    expect(pending(await readMigrations(fixture('node-pg-migrate'), { url })).map(([, p]) => p)).toEqual([false, true, true, true]);
  });

  it('a folder with JavaScript migrations is refused: their statements cannot be read', async () => {
    const err = await refused(readMigrations(fixture('node-pg-migrate-js'), {}));
    expect(err.kind).toBe('usage');
    expect(err.message).toContain('1700000100000_b.js is a JavaScript/TypeScript migration');
  });
});
