/** The command line, importable: bin/rehearse.js calls main() and exits with what it returns. */
export { buildProgram, main } from './program.ts';
export { runCommand, RUN_OPTIONS, type RunOptions } from './run.ts';
export { reportCommand, REPORT_OPTIONS, type ReportOptions } from './report.ts';
export { compareCommand, COMPARE_OPTIONS, type CompareOptions } from './compare.ts';
export { doctorCommand, DOCTOR_OPTIONS, type DoctorCommandOptions } from './doctor.ts';
