/** Migration folder layouts the tool reads (see docs/migration-formats.md). */
export type MigrationFormat =
  | 'plain'
  | 'golang-migrate'
  | 'flyway'
  | 'dbmate'
  | 'prisma'
  | 'drizzle'
  | 'node-pg-migrate';

/** One SQL statement of a migration file, as the PostgreSQL parser split it. */
export interface Statement {
  /** 0-based position in its script */
  index: number;
  /** the statement text, without the trailing semicolon, comments before it trimmed */
  sql: string;
  /** 1-based line in `file` where the statement starts */
  line: number;
  /** parser node name, e.g. 'AlterTableStmt', 'IndexStmt', 'TransactionStmt' */
  kind: string;
  /** false for statements PostgreSQL refuses inside a transaction block
   *  (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, CREATE DATABASE, ALTER SYSTEM, ...) */
  transactional: boolean;
}

/** The up or down half of a migration. */
export interface MigrationScript {
  /** path of the file it came from (relative to the working directory as given) */
  file: string;
  statements: Statement[];
  /** run the transactional statements in one transaction (default true; dbmate `transaction:false` → false;
   *  Prisma, Drizzle and node-pg-migrate: true, see docs/migration-formats.md for how each tool groups them) */
  inTransaction: boolean;
}

export interface Migration {
  /** the version as the tool writes it (e.g. '003', '20240101120000', '1.2'; Prisma, node-pg-migrate: the
   *  folder's or file's number prefix; Drizzle: the tag's number prefix) */
  id: string;
  name: string;
  format: MigrationFormat;
  up: MigrationScript;
  down?: MigrationScript;
  /** true when not recorded as applied in the tool's tracking table */
  pending: boolean;
}

export interface MigrationSet {
  folder: string;
  format: MigrationFormat;
  /** all migrations found, in the order the tool runs them: by version (Prisma: by folder name;
   *  Drizzle: journal order; node-pg-migrate: by the time its file name says) */
  migrations: Migration[];
  /** tracking table consulted ('schema_migrations', 'flyway_schema_history', '_prisma_migrations',
   *  'drizzle.__drizzle_migrations', 'pgmigrations', ...), null when none existed */
  trackingTable: string | null;
}

export interface ReadMigrationsOptions {
  /** connection to the loaded database, to find what is already applied */
  url?: string;
  /** treat every migration with a version > from as pending (overrides the tracking table) */
  from?: string;
}

/** The text of one script and where it sits in its file. */
export interface ScriptSource {
  file: string;
  text: string;
  /** lines of the file before `text` */
  lineOffset: number;
  inTransaction: boolean;
  /** Drizzle: the text is cut at every occurrence of this marker first, and each piece split on its own */
  separator?: string;
}
