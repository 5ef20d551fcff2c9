import { z } from 'zod';
import type { Report } from './types.ts';
import { PROVIDERS } from '../../core/names.ts';
import { FINDING_RULES } from './finding.ts';

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

const CostModel = z.enum(['table-rewrite', 'full-scan', 'index-build', 'concurrent-index-build', 'row-updates', 'constant']);
const estimate = z.number().nonnegative();
const Prediction = z
  .strictObject({
    durationMs: estimate.describe("predicted duration at the statistics' size (milliseconds, an estimate)"),
    lockHeldMs: estimate.describe('predicted lock hold: its own duration plus everything after it in its transaction (0: it took no lock)'),
    low: estimate.describe('interval of durationMs: low end'),
    high: estimate.describe('interval of durationMs: high end'),
    coverage: z.number().min(0).max(1).optional().describe('the share of truths [low, high] aims to hold (0.8); absent when predicted as measured'),
    regimes: z
      .array(
        z.strictObject({
          regime: z.enum(['shared_buffers', 'memory', 'checkpoints', 'sort memory', 'parallel workers']),
          crossed: z.literal(true),
          calibrated: z.boolean().describe("calibration points lie on production's side: the fit stands on them"),
          material: z.boolean().describe('uncalibrated, it makes the prediction untrusted (else the interval is widened)'),
          detail: z.string().describe('what crosses, with the figures on both sides'),
        }),
      )
      .optional()
      .describe('regime boundaries crossed between the rehearsal and production (docs/predictions.md "Regimes")'),
    model: CostModel.describe('cost class: what makes the statement grow with data'),
    growth: z.enum(['linear', 'n log n', 'none']),
    table: z.string().nullable().describe('the table whose rows drive the cost (schema.table)'),
    measuredRows: z.number().nonnegative().nullable().describe('its rows in the rehearsal'),
    targetRows: z.number().nonnegative().nullable().describe('its rows in the statistics file'),
    basis: z
      .array(
        z.strictObject({
          rows: z.number().nonnegative(),
          ms,
          source: z.enum(['rehearsal', 'sample']),
          fraction: z.number().positive().describe("of the rehearsal's rows"),
          walBytes: z.number().nonnegative().optional().describe('WAL the server wrote while it ran'),
          settings: z
            .record(z.string(), z.string())
            .optional()
            .describe("the regime settings a calibration replay ran on when production's were scaled to its sample (absent: the rehearsal server's)"),
        }),
      )
      .describe('the measured points the fit stands on'),
    notes: z.array(z.string()).describe('predicted as measured, scaled by rows alone, downward, …'),
    trust: z
      .strictObject({ ok: z.literal(false), reasons: z.array(z.string()) })
      .optional()
      .describe('present when the prediction should not be trusted (extrapolating > 1000×, poor fit, one point, a regime crossed and not calibrated, …)'),
  })
  .describe('--predict-for: an estimate at production size, from measured points (docs/predictions.md)');

const ProductionRate = z
  .strictObject({
    table: z.string().describe('the table locked (schema.table)'),
    mode: z.string().describe('the lock mode held on it'),
    holdMs: estimate.describe('the hold the estimate uses (milliseconds)'),
    holdFrom: z.enum(['measured', 'predicted']).describe('predicted at production size (--predict-for), or measured in the rehearsal'),
    productionCallsPerSec: z
      .number()
      .nonnegative()
      .describe("production's calls per second of the statements on that table whose lock waits for that mode (the statistics file's window)"),
    productionStatements: z.number().int().nonnegative(),
    estimatedQueuedQueries: z.number().int().nonnegative().describe('productionCallsPerSec × hold: the queries that would queue (an estimate)'),
    productionConnections: z.number().nonnegative().nullable().describe('the most connections production had open at once; null: no count in the file'),
    estimatedAllConnectionsWaitingAfterMs: estimate
      .nullable()
      .describe(
        'connections ÷ calls per second: when every production connection would be waiting (an estimate); null when the hold ends first or there is no count',
      ),
    basis: z.string().describe('the sentence with the figures and where they came from'),
  })
  .describe("impact at production's rate: the lock hold × production's rate on that table (issue 20; a statistics file with traffic)");

const PredictionSummary = z
  .strictObject({
    statsFile: z.string(),
    takenAt: z.string().nullable(),
    scaledBy: z.enum(['rows', 'rows and row width']),
    fractions: z.array(z.number()).describe("fractions of the rehearsal's rows the calibration replays ran at"),
    tables: z.array(z.strictObject({ name: z.string(), rehearsalRows: z.number().nullable(), targetRows: z.number(), ratio: z.number().nullable() })),
    notes: z.array(z.string()),
  })
  .describe('--predict-for: the statistics the predictions are for');

const Statement = z.strictObject({
  index: z.number().int().describe('0-based position in its migration file'),
  sql: z.string(),
  file: z.string(),
  line: z.number().int().describe("1-based line where the statement starts; 0 for a statement captured from a --migrate-command (file '')"),
  kind: z.string().describe('parse-tree node, e.g. AlterTableStmt'),
  inTransaction: z.boolean().describe('ran inside a transaction block; its locks are held until that transaction ends'),
  startedAt: isoTime,
  endedAt: isoTime,
  offsetMs: ms.describe('from the first statement of the run'),
  durationMs: ms,
  locks: z.array(Lock).describe('relation locks the statement acquired'),
  lockSource: z
    .enum(['exact', 'sampled'])
    .describe(
      'exact: pg_locks of the backend read after the statement in its transaction; sampled: polled while it ran (outside a transaction, or every statement of a --migrate-command)',
    ),
  strongestLocks: z.array(z.strictObject({ relation: z.string(), mode: z.string() })).describe('strongest mode per table'),
  lockHeldMs: ms.describe("from the statement's start to the end of its transaction; 0 when it took no lock"),
  rewrites: z
    .array(z.strictObject({ relation: z.string(), relkind: z.string().nullable(), relfilenodeBefore: z.number().int(), relfilenodeAfter: z.number().int() }))
    .describe('relations whose relfilenode changed: rewritten'),
  truncated: z
    .array(z.strictObject({ relation: z.string(), relkind: z.string().nullable(), relfilenodeBefore: z.number().int(), relfilenodeAfter: z.number().int() }))
    .optional()
    .describe('TRUNCATE: relations given new, empty storage (relfilenode changed, no row rewritten: not counted as rewrites)'),
  createdInTransaction: z
    .array(z.string())
    .optional()
    .describe(
      "relations that exist after the statement and did not when its transaction began: created by it, invisible to other sessions until it commits (the findings' lock rules leave them out)",
    ),
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
  blockedQueries: z.number().int().optional().describe('with a workload: query executions that waited on this statement'),
  maxBlockedMs: ms.optional(),
  totalBlockedMs: ms.optional(),
  lockWaitMs: ms.optional().describe('how long the statement itself waited for its locks'),
  attempts: z.number().int().optional().describe('lock_timeout rehearsal: tries including the last (absent when the first settled it)'),
  failedAttempts: z
    .array(z.strictObject({ startedAt: isoTime, waitedMs: ms, sqlstate: z.string(), message: z.string() }))
    .optional()
    .describe('tries that hit lock_timeout, each rolled back with its transaction and retried'),
  predicted: Prediction.optional(),
  atProductionRate: z.array(ProductionRate).optional(),
});

const Rewrite = z.strictObject({
  relation: z.string(),
  relkind: z.string().nullable(),
  relfilenodeBefore: z.number().int(),
  relfilenodeAfter: z.number().int(),
});

const Finding = z.strictObject({
  rule: z.enum(FINDING_RULES).describe('stable rule id (docs/findings.md); SARIF ruleId pg-rehearse/<rule>'),
  severity: z.enum(['error', 'warning', 'info']),
  migrationId: z.string(),
  statementIndex: z.number().int().nullable(),
  file: z.string().nullable(),
  line: z.number().int().nullable(),
  title: z.string().describe('what was measured, one line'),
  evidence: z.record(z.string(), z.union([z.number(), z.string()])).describe('the figures behind it, as measured'),
  advice: z.string().describe('the safe pattern in words'),
  suggestedSql: z.string().nullable().describe('the statement rewritten the safe way'),
  mechanical: z.boolean().describe('--suggest applies suggestedSql in place of the statement and rehearses it'),
});

const SuggestionFigures = z.strictObject({
  blockingLockHoldMs: ms.describe('longest hold of a lock that blocks reads or writes'),
  appWaitMs: ms.nullable().describe('longest app wait on a migration statement (null without a workload)'),
  p99Ms: ms.nullable().describe('highest app p99 while a statement ran (null without a workload)'),
  durationMs: ms.describe('all migrations'),
  partial: z.literal(true).optional().describe('the run stopped at a failure: the figures of the part that ran, not a result'),
});

const SuggestionFailure = z
  .strictObject({
    statement: z
      .string()
      .nullable()
      .describe('the failing statement as written in the suggested folder (first line); null when the run stopped outside a statement'),
    file: z.string().nullable(),
    line: z.number().int().nullable(),
    sqlstate: z.string().describe("SQLSTATE, or the run error's kind"),
    message: z.string(),
    rule: z.string().nullable().describe('the rewrite (finding rule) the failing statement belongs to; null when it was left as written'),
    cause: z
      .string()
      .nullable()
      .describe(
        "what the rehearsal shows caused it (the apps' writes while the rewritten steps committed one by one, with counts); null when it shows nothing",
      ),
  })
  .describe('the rehearsal of the suggestion failed: every format leads with this and shows no before/after improvement');

const Suggestion = z
  .strictObject({
    failure: SuggestionFailure.optional(),
    folder: z.string().describe('the suggested migrations, in the original layout'),
    rewrites: z.array(
      z.strictObject({
        rule: z.string(),
        migrationId: z.string(),
        statementIndex: z.number().int(),
        file: z.string(),
        line: z.number().int(),
        suggestedFile: z.string(),
      }),
    ),
    placed: z
      .array(
        z.strictObject({ file: z.string(), from: z.string(), outside: z.boolean().describe("runs outside a transaction block (the tool's marker says so)") }),
      )
      .optional()
      .describe(
        "migrations --suggest added in the tool's naming: a step of a rewritten file the tool cannot run among its other statements, or the statements after it",
      ),
    status: z.enum(['passed', 'failed', 'error']),
    report: z.string().describe("the suggested run's own report.json"),
    lockTimeoutMs: z.number().nullable(),
    retries: z.number().int().nullable(),
    sameSchema: z.boolean().describe('the suggestion changed the schema exactly as the original did (column order aside, and what the contract steps drop)'),
    contractSteps: z
      .array(z.string())
      .optional()
      .describe(
        'what the rewrites leave in place on purpose until every app writes the new column (a fill trigger, a column DEFAULT): the SQL of the contract step, for a later migration',
      ),
    before: SuggestionFigures,
    after: SuggestionFigures,
  })
  .describe('--suggest: the mechanical rewrites rehearsed on the same dataset and workload, before vs after');

const CommandRun = z
  .strictObject({
    command: z.string().describe('the command line, passwords masked'),
    capture: z
      .literal('sampled')
      .describe('every figure of this migration was sampled from outside (pg_stat_activity, pg_locks every few ms), not read exactly'),
    exitCode: z.number().int().nullable().describe('null when a signal ended it'),
    signal: z.string().nullable(),
    stdout: z.string().describe('the last lines, passwords masked'),
    stderr: z.string().describe('the last lines, passwords masked'),
    backends: z.number().int().describe('connections of the command seen on the rehearsal database'),
    samples: z.number().int(),
    meanIntervalMs: z.number().nonnegative().nullable().describe('spacing of the polls: the precision achieved'),
    maxIntervalMs: z.number().nonnegative().nullable(),
    bookkeeping: z
      .array(z.string())
      .describe("the tool's own statements left out of statements[] (transaction control, SET, its tracking table, catalog reads): first line of each"),
    rewrites: z
      .array(Rewrite.extend({ statementIndex: z.number().int().nullable() }))
      .describe('relations rewritten by the whole command; statementIndex null when no single statement held their AccessExclusiveLock'),
  })
  .describe('command mode (--migrate-command): the migration tool run as a child process');

const Migration = z.strictObject({
  id: z.string(),
  name: z.string(),
  file: z.string(),
  status: z.enum(['applied', 'failed', 'skipped']),
  startedAt: isoTime.nullable(),
  durationMs: ms,
  statements: z.array(Statement),
  command: CommandRun.optional(),
  verify: z
    .strictObject({
      file: z.string(),
      ok: z.boolean(),
      durationMs: ms,
      statements: z.number().int(),
      error: z.strictObject({ sqlstate: z.string(), message: z.string(), file: z.string(), line: z.number().int() }).optional(),
    })
    .optional()
    .describe("sqitch: the change's verify script, run right after its deploy script"),
});

const ObjectKind = z.enum([
  'schema',
  'extension',
  'table',
  'column',
  'constraint',
  'index',
  'trigger',
  'view',
  'materialized_view',
  'sequence',
  'enum',
  'function',
  'procedure',
  'policy',
]);
const SchemaDiff = z
  .strictObject({
    added: z.array(z.strictObject({ object: z.string(), kind: ObjectKind, definition: z.string().optional(), includes: z.array(z.string()).optional() })),
    removed: z.array(z.strictObject({ object: z.string(), kind: ObjectKind, definition: z.string().optional(), includes: z.array(z.string()).optional() })),
    changed: z.array(z.strictObject({ object: z.string(), kind: ObjectKind, attribute: z.string(), before: z.json(), after: z.json() })),
    columnOrderOnly: z.array(z.strictObject({ table: z.string(), before: z.array(z.string()), after: z.array(z.string()) })),
  })
  .describe('structural difference; object keys like table:public.orders (docs/schema-model.md)');

const epochMs = z.number().describe('epoch milliseconds');
const nullableMs = z.number().nonnegative().nullable();
const Latency = {
  count: z.number().int(),
  ok: z.number().int(),
  errors: z.record(z.string(), z.number().int()).describe('by SQLSTATE; EXPECT = an expectation failed, CLIENT = a driver error'),
  timeouts: z.number().int(),
  p50Ms: nullableMs,
  p95Ms: nullableMs,
  p99Ms: nullableMs,
  maxMs: nullableMs,
  meanMs: nullableMs,
};
const AppRole = z.enum(['old', 'new', 'other']);
const Lag = z
  .strictObject({
    count: z.number().int(),
    p50Ms: nullableMs,
    p99Ms: nullableMs,
    maxMs: nullableMs,
    within10Ms: z.number().nullable().describe('share of the statements started within 10 ms of their time'),
  })
  .describe("statements' lag behind the log's schedule (start − offset ÷ speed)");
const Replay = z.strictObject({
  file: z.string(),
  format: z.enum(['stderr', 'csvlog', 'jsonlog']),
  speed: z.number().describe('offsets divided by it; 0: as fast as possible'),
  windowMs: ms.describe("the log's window, first to last statement, at the original speed"),
  lines: z.number().int(),
  skipped: z.record(z.string(), z.number().int()).describe('entries read but not replayed, by reason'),
  unreadable: z.strictObject({
    count: z.number().int(),
    first: z.strictObject({ line: z.number().int(), why: z.string() }).nullable(),
  }),
  statements: z.number().int().describe("the replayed sessions' statements in the log"),
  replayed: z.number().int().describe('statements run before the traffic stopped'),
  errors: z.record(z.string(), z.number().int()).describe('SQLSTATE → count'),
  lag: Lag.nullable().describe('null at --replay-speed 0'),
  baselineLag: Lag.nullable().describe('before the first migration: the replay keeping up on its own'),
  behind: z.string().nullable().describe('the warning when the replay fell behind its schedule before any migration'),
  sessions: z.array(
    z.strictObject({
      name: z.string().describe('its connection is tagged rehearse/app/<app>/<name>: the blocking entries name it'),
      app: z.string(),
      user: z.string(),
      application: z.string().nullable(),
      statements: z.number().int(),
      replayed: z.number().int(),
      errors: z.record(z.string(), z.number().int()),
      lag: Lag.nullable(),
    }),
  ),
});
const Workload = z.strictObject({
  file: z.string(),
  startedAt: epochMs,
  endedAt: epochMs,
  sampler: z.strictObject({ samples: z.number().int(), meanIntervalMs: nullableMs, maxIntervalMs: nullableMs, errors: z.number().int() }),
  phases: z
    .array(z.strictObject({ name: z.string(), startedAt: epochMs, endedAt: epochMs }))
    .describe("baseline, '<migration>#<statement>' for each statement, after"),
  apps: z.array(
    z.strictObject({
      name: z.string(),
      role: AppRole,
      clients: z.number().int(),
      queries: z.array(
        z.strictObject({
          name: z.string(),
          text: z.string().optional().describe("--replay-log: the logged statement's normalized text (constants as $n; no literal of the log)"),
          rate: z.number().nullable(),
          dropped: z.number().int(),
          ...Latency,
          failures: z.array(z.strictObject({ sqlstate: z.string(), message: z.string(), count: z.number().int() })),
          phases: z.array(z.strictObject({ phase: z.string(), ...Latency })),
          timeline: z.strictObject({
            bucketMs: z.number(),
            buckets: z.array(z.strictObject({ t: z.number(), count: z.number().int(), errors: z.number().int(), p99Ms: nullableMs, maxMs: nullableMs })),
          }),
        }),
      ),
    }),
  ),
  background: z.array(
    z.strictObject({
      name: z.string(),
      app: z.string(),
      atMs: z.number(),
      startedAt: epochMs.nullable(),
      endedAt: epochMs.nullable(),
      durationMs: nullableMs,
      ok: z.boolean(),
      sqlstate: z.string().optional(),
      message: z.string().optional(),
    }),
  ),
  replay: Replay.optional().describe('--replay-log: how the log was read and its sessions replayed'),
});
const Blocking = z.strictObject({
  app: z.string().describe("the app that waited, or 'migration'"),
  query: z.string(),
  blockerKind: z.enum(['migration', 'app', 'other']).describe('kind of the root blocker'),
  migrationId: z.string().nullable(),
  statementIndex: z.number().int().nullable(),
  migrationRole: z.enum(['holds', 'queued', 'waits']).nullable(),
  rootBlocker: z.string(),
  directBlocker: z.string(),
  waitMs: ms,
  startedAt: epochMs,
  endedAt: epochMs,
  relation: z.string().nullable(),
  mode: z.string().nullable(),
  waitEvent: z.string().nullable(),
  pid: z.number().int(),
  queryStart: epochMs.nullable(),
});
const Failure = z.strictObject({ query: z.string(), sqlstate: z.string(), message: z.string() });
const Compatibility = z.strictObject({
  states: z.array(z.string()).describe("'initial', then each migration id"),
  apps: z.array(z.strictObject({ name: z.string(), role: AppRole })),
  cells: z.array(z.strictObject({ state: z.string(), app: z.string(), ok: z.boolean(), failures: z.array(Failure) })),
  oldAppLastState: z.string().nullable(),
  newAppFirstState: z.string().nullable(),
  rollout: z
    .strictObject({
      safe: z.boolean(),
      beforeDeploy: z.array(z.string()),
      whileBoth: z.array(z.string()),
      afterOldGone: z.array(z.string()),
      breaksBoth: z.array(z.string()),
      summary: z.string(),
    })
    .nullable(),
});

const StatementRef = z.strictObject({ migrationId: z.string(), statementIndex: z.number().int(), file: z.string(), line: z.number().int(), ms });

const OutputFormat = z.enum(['json', 'md', 'html', 'junit', 'sarif', 'codequality', 'terminal']);

const BudgetResult = z.strictObject({
  name: z.string().describe('config key: maxLockHold, maxBlocked, maxStatement, maxRewriteRows, maxP99Increase, oldAppCompatible, noInvalidIndex'),
  description: z.string(),
  limit: z.number(),
  unit: z.enum(['ms', 'rows', '%', 'count']),
  ok: z.boolean(),
  skipped: z.string().optional().describe('why the budget was not evaluated (ok is then true)'),
  on: z.literal('predicted').optional().describe('checked on the predictions at production size (--budgets-on); absent: on the measurements'),
  violations: z.array(
    z.strictObject({
      migrationId: z.string().nullable(),
      statementIndex: z.number().int().nullable(),
      file: z.string().nullable(),
      line: z.number().int().nullable(),
      value: z.number().describe("the measured figure, in the budget's unit"),
      message: z.string(),
    }),
  ),
});

const MetricDelta = z.strictObject({
  before: z.number(),
  after: z.number(),
  deltaMs: z.number(),
  deltaPct: z.number().nullable().describe('null when before is 0'),
  regression: z.boolean(),
});

const Comparison = z.strictObject({
  baseline: z.strictObject({ file: z.string(), startedAt: isoTime, toolVersion: z.string() }),
  thresholdPct: z.number().describe('a figure regressed when it grew by more than this percentage …'),
  minDeltaMs: z.number().describe('… and by at least this many milliseconds'),
  statements: z
    .array(
      z.strictObject({
        migrationId: z.string(),
        statementIndex: z.number().int(),
        file: z.string(),
        line: z.number().int(),
        durationMs: MetricDelta,
        lockHeldMs: MetricDelta,
        maxBlockedMs: MetricDelta.nullable(),
        regression: z.boolean(),
      }),
    )
    .describe('matched by migration id + statement index'),
  queries: z.array(z.strictObject({ app: z.string(), query: z.string(), p99Ms: MetricDelta })),
  newFailures: z.array(
    z.strictObject({
      kind: z.enum(['run', 'statement', 'rollback', 'budget', 'compatibility']),
      migrationId: z.string().nullable(),
      statementIndex: z.number().int().nullable(),
      file: z.string().nullable(),
      line: z.number().int().nullable(),
      message: z.string(),
    }),
  ),
  added: z.array(z.strictObject({ migrationId: z.string(), statementIndex: z.number().int() })),
  removed: z.array(z.strictObject({ migrationId: z.string(), statementIndex: z.number().int() })),
  regressions: z.number().int().describe('regressed statements + regressed queries + new failures'),
});

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
        provider: z.enum(PROVIDERS),
        settings: z.record(z.string(), z.string()).describe('settings in force during the replay'),
      })
      .nullable(),
    dataset: z
      .strictObject({
        source: z.union([
          z.strictObject({ kind: z.literal('dump'), path: z.string(), format: z.enum(['custom', 'directory', 'tar', 'plain', 'plain-gzip']) }),
          z.strictObject({ kind: z.literal('fixture'), name: z.string(), scale: z.number().int(), seed: z.number().int() }),
          z
            .strictObject({
              kind: z.literal('synthesized'),
              schema: z.string().describe('the schema file (pg_dump --schema-only)'),
              stats: z.string().describe('the statistics file (rehearse stats)'),
              fraction: z.number().describe('rows made = statistics × fraction'),
              seed: z.number().int(),
              tables: z.array(
                z.strictObject({ name: z.string(), statsRows: z.number().describe('rows in the statistics'), rows: z.number().describe('rows made') }),
              ),
            })
            .describe("--synthesize: rows of the statistics' shape made for the schema's tables, no production row"),
          z.strictObject({ kind: z.literal('none') }),
        ]),
        loadMs: ms,
        phaseMs: z
          .strictObject({
            load: ms,
            vacuumAnalyze: ms.describe('VACUUM (ANALYZE) of every table after the load; after --synthesize, a table ANALYZEd during the rows is only vacuumed'),
            checkpoint: ms,
            schema: ms.optional().describe('--synthesize: the schema file restored (part of load)'),
            rows: ms.optional().describe("--synthesize: rows, each table's ANALYZE, keys and indexes, side by side (part of load)"),
            foreignKeys: ms.optional().describe('--synthesize: foreign keys validated after the last key or index, and sequences (part of load)'),
          })
          .optional(),
        snapshot: z
          .strictObject({
            key: z
              .string()
              .describe('content key: dump bytes or fixture name/scale/seed/definition, PostgreSQL major, provider, container image (docs/snapshots.md)'),
            hit: z.boolean().describe('true: the dataset was cloned from a saved snapshot (loadMs is the clone + server start)'),
            createdAt: isoTime.nullable().describe('when the snapshot was saved; null when this run saved none'),
            bytes: z.number().int().nullable().describe('size of the snapshot (data directory, its tar (container) or template database)'),
            cloneMs: ms.describe('hit: copying the data directory / starting a container on its tar / creating the database from the template; miss: 0'),
            saveMs: ms.describe('miss: saving the snapshot after the load (not in loadMs); hit: 0'),
            hashMs: ms.describe('hashing the dump (or fixture definition) into the key'),
          })
          .optional()
          .describe('absent with --no-cache, no dataset, or --use-existing-database'),
        tables: z.array(z.strictObject({ name: z.string(), rows: z.number(), rowsEstimated: z.boolean(), bytes: z.number().int() })),
      })
      .nullable(),
    migrationSource: z
      .strictObject({
        folder: z.string(),
        format: z.enum([
          'plain',
          'golang-migrate',
          'flyway',
          'dbmate',
          'prisma',
          'drizzle',
          'node-pg-migrate',
          'diesel',
          'sqlx',
          'goose',
          'sqitch',
          'liquibase',
          'atlas',
        ]),
        trackingTable: z.string().nullable(),
        from: z.string().nullable(),
        total: z.number().int(),
        alreadyApplied: z.array(z.string()),
      })
      .nullable(),
    migrations: z.array(Migration).describe('the pending migrations, in the order replayed'),
    workload: Workload.nullable().describe('--workload: what the simulated applications lived through'),
    blocking: z.array(Blocking).describe('every wait of an application query (or of the migration), attributed to its root blocker'),
    compatibility: Compatibility.nullable().describe('schema state × app version'),
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
    prediction: PredictionSummary.optional(),
    findings: z.array(Finding).optional().describe('each problem the rehearsal measured, with the safe pattern and its evidence (docs/findings.md)'),
    suggestion: Suggestion.optional(),
    budgets: z
      .strictObject({ results: z.array(BudgetResult) })
      .optional()
      .describe('rehearse run: the budgets (docs/budgets.md)'),
    comparison: Comparison.optional().describe('rehearse run --baseline FILE: this run against an earlier report'),
    verdict: z
      .strictObject({
        status: z.enum(['pass', 'fail', 'error']),
        reasons: z.array(z.string()).describe('one line each, empty when it passed'),
      })
      .optional()
      .describe('fail: a migration failed, the rollback did not restore, a budget failed or a regression over the baseline; error: the run could not finish'),
    output: z
      .strictObject({
        dir: z.string().describe('the folder the run wrote to'),
        formats: z.array(OutputFormat),
        reportUrl: z.string().optional().describe('where readers find the files (--report-url)'),
      })
      .optional(),
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
