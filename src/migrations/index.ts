/**
 * The migrations stage: read a folder of migrations in one of the common layouts (plain,
 * golang-migrate, Flyway, dbmate, Prisma, Drizzle, node-pg-migrate, diesel, sqlx, goose, sqitch,
 * Liquibase formatted SQL, Atlas), split each script into
 * statements with the real PostgreSQL parser, and find which are pending from --from or the tool's
 * tracking table.
 * See docs/migration-formats.md.
 */
export type {
  Migration,
  MigrationFormat,
  MigrationScript,
  MigrationSet,
  ReadMigrationsOptions,
  Statement,
} from './types.ts';
export { readMigrations } from './read.ts';
export { splitStatements } from './split.ts';
export { compareVersions } from './version.ts';
export { ensureTrackingTable, trackingTableOf } from './tracking-create.ts';
