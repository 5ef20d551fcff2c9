/** The command line, importable: bin/rehearse.js calls main() and exits with what it returns. */
export { buildProgram, main } from './program.ts';
export { runCommand } from './run.ts';
export { reportCommand } from './report.ts';
export { compareCommand } from './compare.ts';
export { doctorCommand } from './doctor.ts';
export * from './flags.ts';
