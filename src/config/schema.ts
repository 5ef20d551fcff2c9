import { z } from 'zod';
import { BudgetsConfigSchema } from './budgets.ts';
import { BUDGETS_ON, PROVIDERS } from '../core/names.ts';

/**
 * Everything `rehearse run` can be told, by flag or by config file (rehearse.config.json|yaml|ts).
 * Keys are the flags in camelCase; flags override the file. Unknown keys are errors.
 */
export const RunConfigSchema = z
  .object({
    example: z.boolean().optional(),
    dump: z.string().min(1).optional(),
    fixture: z.string().min(1).optional(),
    empty: z.boolean().optional(),
    scale: z.coerce.number().int().positive().optional(),
    seed: z.coerce.number().int().optional(),
    cache: z.boolean().optional(),
    cacheDir: z.string().min(1).optional(),
    schema: z.string().min(1).optional(),
    synthesize: z.string().min(1).optional(),
    fraction: z.coerce.number().positive().optional(),
    migrations: z.string().min(1).optional(),
    migrateCommand: z.string().min(1).optional(),
    from: z.coerce.string().optional(),
    out: z.string().min(1).optional(),
    provider: z.enum(PROVIDERS).optional(),
    image: z.string().min(1).optional(),
    containerNetwork: z.string().min(1).optional(),
    postgres: z.coerce.number().int().optional(),
    pgSetting: z.union([z.array(z.string()), z.record(z.string(), z.coerce.string())]).optional(),
    databaseUrl: z.string().min(1).optional(),
    keep: z.boolean().optional(),
    useExistingDatabase: z.boolean().optional(),
    workload: z.string().min(1).optional(),
    workloadFrom: z.string().min(1).optional(),
    sampleMs: z.coerce.number().int().positive().optional(),
    warmup: z.string().optional(),
    cooldown: z.string().optional(),
    replayLog: z.string().min(1).optional(),
    replayDatabase: z.string().min(1).optional(),
    replaySpeed: z.coerce.number().nonnegative().optional(),
    replayByApplication: z.boolean().optional(),
    lockTimeout: z.string().optional(),
    statementTimeout: z.string().optional(),
    retries: z.coerce.number().int().nonnegative().optional(),
    retryBackoff: z.string().optional(),
    rollback: z.boolean().optional(),
    suggest: z.boolean().optional(),
    checkDrift: z.boolean().optional(),
    expectSchema: z.string().min(1).optional(),
    // reports, budgets, baseline (docs/budgets.md, docs/ci.md)
    format: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
    baseline: z.string().min(1).optional(),
    reportUrl: z.string().min(1).optional(),
    regressionThreshold: z.union([z.string(), z.number()]).optional(),
    regressionMin: z.union([z.string(), z.number()]).optional(),
    budgets: z.union([z.literal(false), BudgetsConfigSchema]).optional(),
    quiet: z.boolean().optional(),
    json: z.boolean().optional(),
    // predictions at production size (docs/predictions.md)
    predictFor: z.string().min(1).optional(),
    budgetsOn: z.enum(BUDGETS_ON).optional(),
    predictFractions: z.array(z.number().gt(0).lt(1)).max(4).optional(),
  })
  .strict();

export type RunConfig = z.infer<typeof RunConfigSchema>;
