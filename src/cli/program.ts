import { Command, CommanderError } from 'commander';
import { ExitCode, RehearseError } from '../core/errors.ts';
import { maskSecrets } from '../core/mask.ts';
import { TOOL_VERSION } from '../core/version.ts';
import {
  addSnapshotCommands,
  CAPTURE_COMMAND,
  CLEANUP_COMMAND,
  COMPARE_COMMAND,
  DOCTOR_COMMAND,
  REPORT_COMMAND,
  RUN_COMMAND,
  STATS_COMMAND,
  WORKLOAD_COMMAND,
} from './commands.ts';
import { EXIT_CODES } from './help.ts';
import { registerCommand } from './options.ts';

/** The program: one module per command (run, report, compare, stats, doctor, prepare and cache, cleanup), each with its option table. */
export function buildProgram(): Command {
  const program = new Command('rehearse')
    .description('A dress rehearsal for PostgreSQL schema migrations: replay them on a production-size copy and measure what production would live through.')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    // before the commands are added, so they inherit it: a bad flag is a usage error (2), not commander's 1
    .exitOverride()
    .addHelpText('after', `\nStart with:  rehearse run --example\n${EXIT_CODES}`);
  registerCommand(program, RUN_COMMAND);
  registerCommand(program, REPORT_COMMAND);
  registerCommand(program, COMPARE_COMMAND);
  registerCommand(program, STATS_COMMAND);
  registerCommand(program, WORKLOAD_COMMAND);
  registerCommand(program, CAPTURE_COMMAND);
  registerCommand(program, DOCTOR_COMMAND);
  addSnapshotCommands(program);
  registerCommand(program, CLEANUP_COMMAND);
  return program;
}

/** Parse argv and run the command; resolves with the exit code (bin/rehearse.js exits with it). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; parse errors were already printed by commander
      return err.exitCode === 0 ? 0 : ExitCode.usage;
    }
    if (err instanceof RehearseError) {
      process.stderr.write(maskSecrets(`error: ${err.message}\n${err.hint ? `  ${err.hint}\n` : ''}`));
      return err.exitCode;
    }
    process.stderr.write(maskSecrets(`internal error: ${(err as Error)?.stack ?? String(err)}\n`));
    return ExitCode.infrastructure;
  }
}
