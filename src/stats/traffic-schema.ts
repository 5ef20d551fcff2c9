import { z } from 'zod';

/**
 * The `traffic` section of a statistics file: what production's applications send, read by
 * `rehearse stats --window 10s` (two reads of pg_stat_statements, deltas; pg_stat_activity sampled
 * in between), and in the same form by `rehearse capture` (the new version's statements, sent by
 * its own tests). `rehearse workload --from` derives a workload from it (src/traffic/derive/).
 *
 * No literal value ever enters it: statement texts are pg_stat_statements' normalized ones
 * (`$1, $2, …`, comments dropped), a text that still carries a constant is left out and counted in
 * `skipped.withConstants`; transactions carry the tables their statements named, never the text.
 */

/** One normalized statement of the database, with its figures over the window. */
export const TrafficStatementSchema = z
  .object({
    /** pg_stat_statements.queryid (a bigint, as a string) */
    queryid: z.string().min(1),
    /** the normalized text: constants are `$n`, comments dropped */
    text: z.string().min(1),
    /** SELECT, INSERT, UPDATE, DELETE, MERGE (the parse tree's top statement) */
    command: z.string().optional(),
    /** executions in the window (delta of `calls`) */
    calls: z.number().nonnegative(),
    callsPerSec: z.number().nonnegative(),
    /** rows returned or affected per execution (delta of `rows` / delta of `calls`) */
    rowsPerCall: z.number().nonnegative(),
    /** mean execution time in the window (delta of `total_exec_time` / delta of `calls`) */
    meanMs: z.number().nonnegative(),
    /** roles that sent it (pg_stat_statements.userid), where known */
    roles: z.array(z.string()).optional(),
    /** application_name of the backends seen running it (pg_stat_activity.query_id), where known */
    applications: z.array(z.string()).optional(),
    /** tables the statement names, qualified (`public.orders`), from its parse tree */
    tables: z.array(z.string()).optional(),
  })
  .strict();

/** A distribution of durations over the transactions seen open during the window. */
export const DurationDistributionSchema = z
  .object({
    /** transactions counted */
    count: z.number().int().nonnegative(),
    p50Ms: z.number().nonnegative(),
    p95Ms: z.number().nonnegative(),
    maxMs: z.number().nonnegative(),
  })
  .strict();

/** A transaction seen open for long, and the tables its statements named (never their text). */
export const OpenTransactionSchema = z
  .object({
    application: z.string(),
    /** how long it was seen open (xact_start to the last sample it was seen in) */
    openMs: z.number().nonnegative(),
    /** the longest stretch it sat idle in transaction */
    idleInTransactionMs: z.number().nonnegative(),
    /** tables the statements seen in it named, qualified */
    tables: z.array(z.string()),
  })
  .strict();

/** pg_stat_activity sampled during the window (client backends of this database, the tool's own left out). */
export const ActivityProfileSchema = z
  .object({
    samples: z.number().int().nonnegative(),
    sampleMs: z.number().positive(),
    /** per application_name: the most connections seen at once, the mean, and the mean of those not idle */
    connections: z.array(
      z
        .object({
          application: z.string(),
          max: z.number().nonnegative(),
          mean: z.number().nonnegative(),
          meanActive: z.number().nonnegative(),
        })
        .strict(),
    ),
    /** the most client connections seen at once, all applications together */
    maxConnections: z.number().nonnegative(),
    /** how long the transactions seen open stayed open, and idle in transaction */
    transactions: z
      .object({
        open: DurationDistributionSchema,
        idleInTransaction: DurationDistributionSchema,
      })
      .strict(),
    /** the longest transactions seen (at most 10), longest first */
    longest: z.array(OpenTransactionSchema),
  })
  .strict();

/** What was left out, counted (never listed: a left-out text may carry a value). */
export const SkippedStatementsSchema = z
  .object({
    /** BEGIN, COMMIT, SET, DDL, … */
    utility: z.number().int().nonnegative(),
    /** the tool's own reads */
    own: z.number().int().nonnegative(),
    /** a text that still carries a constant (a literal the normalizer did not replace) */
    withConstants: z.number().int().nonnegative(),
    /** a text the parser could not read (cut at track_activity_query_size, …) */
    unparsable: z.number().int().nonnegative(),
  })
  .strict();

export const TrafficSectionSchema = z
  .object({
    /** start of the window */
    startedAt: z.string().optional(),
    windowMs: z.number().positive(),
    /** absent when pg_stat_statements could not be read (see `statementsUnavailable`) or with --no-statements */
    statements: z.array(TrafficStatementSchema).optional(),
    /** why there are no statements: the extension is missing, or the role lacks pg_read_all_stats */
    statementsUnavailable: z.string().optional(),
    activity: ActivityProfileSchema.optional(),
    skipped: SkippedStatementsSchema.optional(),
  })
  .strict();

export type TrafficStatement = z.infer<typeof TrafficStatementSchema>;
export type DurationDistribution = z.infer<typeof DurationDistributionSchema>;
export type OpenTransaction = z.infer<typeof OpenTransactionSchema>;
export type ActivityProfile = z.infer<typeof ActivityProfileSchema>;
export type SkippedStatements = z.infer<typeof SkippedStatementsSchema>;
export type TrafficSection = z.infer<typeof TrafficSectionSchema>;
