export { replay } from './replay.ts';
export type { ReplayOptions, ReplayResult, TimeoutPolicy } from './replay.ts';
export type * from './types.ts';
export { runMigrateCommand, checkCommand, asMigrationBackends, COMMAND_ID } from './command.ts';
export type { CommandOptions, CommandResult, CommandRun } from './command.ts';
export { planUnits, type Unit, type UnitMode } from './units.ts';
/** the environment and output masking of a command run against the rehearsal database (rehearse capture runs one too) */
export { commandEnv, maskOutput } from './command-env.ts';
