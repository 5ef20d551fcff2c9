import { z } from 'zod';

/**
 * Everything `rehearse run` can be told, by flag or by config file (rehearse.config.json|yaml).
 * Keys are the flags in camelCase; flags override the file. Unknown keys are errors.
 */
export const RunConfigSchema = z
  .object({
    example: z.boolean().optional(),
    dump: z.string().min(1).optional(),
    fixture: z.string().min(1).optional(),
    scale: z.coerce.number().int().positive().optional(),
    seed: z.coerce.number().int().optional(),
    migrations: z.string().min(1).optional(),
    from: z.coerce.string().optional(),
    out: z.string().min(1).optional(),
    provider: z.enum(['embedded', 'url']).optional(),
    postgres: z.coerce.number().int().optional(),
    pgSetting: z.union([z.array(z.string()), z.record(z.string(), z.coerce.string())]).optional(),
    databaseUrl: z.string().min(1).optional(),
    keep: z.boolean().optional(),
    useExistingDatabase: z.boolean().optional(),
    rollback: z.boolean().optional(),
    checkDrift: z.boolean().optional(),
    expectSchema: z.string().min(1).optional(),
    quiet: z.boolean().optional(),
    json: z.boolean().optional(),
  })
  .strict();

export type RunConfig = z.infer<typeof RunConfigSchema>;
