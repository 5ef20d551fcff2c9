export { replay } from './replay.ts';
export type { ReplayOptions, ReplayResult, TimeoutPolicy } from './replay.ts';
export type * from './types.ts';
export { runMigrateCommand, checkCommand, asMigrationBackends, COMMAND_ID } from './command.ts';
export type { CommandOptions, CommandResult, CommandRun } from './command.ts';
export { planUnits, type Unit, type UnitMode } from './units.ts';
