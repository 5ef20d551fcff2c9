/**
 * The command line, importable: bin/rehearse.js calls main() and exits with what it returns. Each
 * command's implementation (run.ts, report.ts, …) is imported by its spec in commands.ts when it
 * runs, never from here: importing this module stays as light as `rehearse --help`.
 */
export { buildProgram, main } from './program.ts';
export * from './commands.ts';
export * from './flags.ts';
