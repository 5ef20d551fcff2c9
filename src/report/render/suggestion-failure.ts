import { fileLine } from '../format/text.ts';
import type { Report } from '../model/types.ts';

/**
 * A failed rehearsal of --suggest's rewrites, in words every format leads its suggestion part
 * with (and the verdict line names): which statement, where, the error, and the cause the
 * rehearsal shows. Null when there is no suggestion or it passed.
 */
export function suggestionFailureText(report: Report): { head: string; details: string[]; partial: string } | null {
  const f = report.suggestion?.failure;
  if (!f) return null;
  const where = f.file ? `${fileLine(f.file, f.line)}: ` : '';
  return {
    head: `the suggested rewrite failed its rehearsal: ${where}${f.sqlstate} ${f.message}`,
    details: [
      ...(f.statement ? [`statement: ${f.statement}${f.rule ? ` (rewritten by ${f.rule})` : ' (left as written)'}`] : []),
      ...(f.cause ? [`cause: ${f.cause}`] : []),
    ],
    partial: 'after = the part that ran before the failure: not a result',
  };
}

/** One line for the verdict: the failure in short. */
export function suggestionFailureShort(report: Report): string | null {
  const f = report.suggestion?.failure;
  if (!f) return null;
  return `the suggested rewrite failed its rehearsal${f.file ? ` at ${fileLine(f.file, f.line)}` : ''} (${f.sqlstate})`;
}
