import { z } from 'zod';
import type { Report } from './types.ts';

/**
 * The report's shape as a zod schema: tests validate every report against it, and
 * docs/report.schema.json is generated from it (`npm run docs:schema`; a test checks it is current).
 * Objects are strict so a field added to the code but not here fails the tests.
 */
const ms = z.number().nonnegative().describe('milliseconds, measured');
const isoTime = z.string().describe('ISO 8601 time');

const Lock = z.strictObject({
  relation: z.string().describe('relation name (regclass text)'),
  mode: z.string().describe("PostgreSQL's lock mode name, e.g. AccessExclusiveLock"),
  relkind: z.string().nullable().describe('pg_class.relkind: r table, i index, p partitioned, m matview, t TOAST, S sequence'),
});

const Statement = z.strictObject({
  index: z.number().int().describe('0-based position in its migration file'),
  sql: z.string(),
  file: z.string(),
  line: z.number().int().describe('1-based line where the statement starts'),
  kind: z.string().describe('parse-tree node, e.g. AlterTableStmt'),
  inTransaction: z.boolean().describe('ran inside a transaction block; its locks are held until that transaction ends'),
  startedAt: isoTime,
  endedAt: isoTime,
  offsetMs: ms.describe('from the first statement of the run'),
  durationMs: ms,
  locks: z.array(Lock).describe('relation locks the statement acquired'),
  lockSource: z.enum(['exact', 'sampled']).describe('exact: pg_locks of the backend read after the statement in its transaction; sampled: polled while it ran outside a transaction'),
  strongestLocks: z.array(z.strictObject({ relation: z.string(), mode: z.string() })).describe('strongest mode per table'),
  lockHeldMs: ms.describe("from the statement's start to the end of its transaction; 0 when it took no lock"),
  rewrites: z
    .array(z.strictObject({ relation: z.string(), relkind: z.string().nullable(), relfilenodeBefore: z.number().int(), relfilenodeAfter: z.number().int() }))
    .describe('relations whose relfilenode changed: rewritten'),
  walBytes: z.number().int().describe('WAL written by the server while the statement ran'),
  rowsAffected: z.number().int().nullable(),
  error: z
    .strictObject({
      sqlstate: z.string(),
      message: z.string(),
      detail: z.string().optional(),
      hint: z.string().optional(),
      file: z.string(),
      line: z.number().int(),
    })
    .optional(),
  attempts: z.number().int().optional().describe('lock_timeout rehearsal: tries including the last (absent when the first settled it)'),
  failedAttempts: z
    .array(z.strictObject({ startedAt: isoTime, waitedMs: ms, sqlstate: z.string(), message: z.string() }))
    .optional()
    .describe('tries that hit lock_timeout, each rolled back with its transaction and retried'),
});

const Migration = z.strictObject({
  id: z.string(),
  name: z.string(),
  file: z.string(),
  status: z.enum(['applied', 'failed', 'skipped']),
  startedAt: isoTime.nullable(),
  durationMs: ms,
  statements: z.array(Statement),
});

const ObjectKind = z.enum([
  'schema', 'extension', 'table', 'column', 'constraint', 'index', 'trigger', 'view', 'materialized_view', 'sequence', 'enum', 'function', 'procedure', 'policy',
]);
const SchemaDiff = z
  .strictObject({
    added: z.array(z.strictObject({ object: z.string(), kind: ObjectKind, definition: z.string().optional(), includes: z.array(z.string()).optional() })),
    removed: z.array(z.strictObject({ object: z.string(), kind: ObjectKind, definition: z.string().optional(), includes: z.array(z.string()).optional() })),
    changed: z.array(z.strictObject({ object: z.string(), kind: ObjectKind, attribute: z.string(), before: z.json(), after: z.json() })),
    columnOrderOnly: z.array(z.strictObject({ table: z.string(), before: z.array(z.string()), after: z.array(z.string()) })),
  })
  .describe('structural difference; object keys like table:public.orders (docs/schema-model.md)');

const StatementRef = z.strictObject({ migrationId: z.string(), statementIndex: z.number().int(), file: z.string(), line: z.number().int(), ms });

export const ReportSchema = z
  .strictObject({
    schemaVersion: z.literal('1.0'),
    tool: z.strictObject({ name: z.literal('pg-rehearse'), version: z.string() }),
    run: z.strictObject({
      startedAt: isoTime,
      finishedAt: isoTime,
      durationMs: ms,
      status: z.enum(['passed', 'failed', 'error']),
      exitCode: z.number().int(),
      error: z.strictObject({ kind: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
      argv: z.array(z.string()).describe('command line, passwords masked'),
    }),
    postgres: z
      .strictObject({
        version: z.string(),
        major: z.number().int(),
        provider: z.enum(['embedded', 'url']),
        settings: z.record(z.string(), z.string()).describe('settings in force during the replay'),
      })
      .nullable(),
    dataset: z
      .strictObject({
        source: z.union([
          z.strictObject({ kind: z.literal('dump'), path: z.string(), format: z.enum(['custom', 'directory', 'tar', 'plain', 'plain-gzip']) }),
          z.strictObject({ kind: z.literal('fixture'), name: z.string(), scale: z.number().int(), seed: z.number().int() }),
          z.strictObject({ kind: z.literal('none') }),
        ]),
        loadMs: ms,
        phaseMs: z.strictObject({ load: ms, vacuumAnalyze: ms, checkpoint: ms }).optional(),
        tables: z.array(z.strictObject({ name: z.string(), rows: z.number(), rowsEstimated: z.boolean(), bytes: z.number().int() })),
      })
      .nullable(),
    migrationSource: z
      .strictObject({
        folder: z.string(),
        format: z.enum(['plain', 'golang-migrate', 'flyway', 'dbmate', 'prisma', 'drizzle', 'node-pg-migrate']),
        trackingTable: z.string().nullable(),
        from: z.string().nullable(),
        total: z.number().int(),
        alreadyApplied: z.array(z.string()),
      })
      .nullable(),
    migrations: z.array(Migration).describe('the pending migrations, in the order replayed'),
    schemaDiff: SchemaDiff.nullable().describe('schema before the replay → after it'),
    schemaHazards: z.array(
      z.strictObject({
        kind: z.enum(['invalid_index', 'constraint_not_valid', 'sequence_near_max', 'foreign_key_without_index']),
        object: z.string(),
        message: z.string(),
      }),
    ),
    rollback: z
      .strictObject({
        migrations: z.array(Migration).describe('the down migrations, newest first'),
        diff: SchemaDiff.describe('schema before the ups → after the downs'),
        restored: z.boolean().describe('the downs ran and the diff is empty, column order aside'),
        dataLoss: z.array(
          z.strictObject({
            migrationId: z.string(),
            statementIndex: z.number().int(),
            file: z.string(),
            line: z.number().int(),
            object: z.string(),
            objectKind: z.enum(['column', 'table']),
            valuesLost: z.number().int().describe('non-null values of the column / rows of the table when the down ran'),
            message: z.string(),
          }),
        ),
      })
      .nullable(),
    drift: z
      .strictObject({ diff: SchemaDiff.describe('history on an empty database → rehearsed database'), drifted: z.boolean(), ignored: z.array(z.string()) })
      .nullable(),
    expectedSchema: z.strictObject({ file: z.string(), diff: SchemaDiff.describe('expected → final'), matches: z.boolean() }).nullable(),
    summary: z.strictObject({
      applied: z.number().int(),
      failed: z.number().int(),
      skipped: z.number().int(),
      statements: z.number().int(),
      totalDurationMs: ms,
      longestStatement: StatementRef.nullable(),
      longestLockHold: StatementRef.nullable(),
      rewrites: z.number().int(),
    }),
  })
  .describe('pg-rehearse report.json');

/** JSON Schema of report.json, for docs/report.schema.json. */
export function reportJsonSchema(): object {
  return z.toJSONSchema(ReportSchema, { target: 'draft-2020-12' });
}

// The hand-written types and the schema must describe the same thing.
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Equal<z.infer<typeof ReportSchema>, Report> = true;
void sameShape;
