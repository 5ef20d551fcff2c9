import { maskSecrets } from '../core/mask.ts';

/**
 * Reading what pg_restore and psql print on stderr, wherever they run (this machine, or the
 * container of the container provider): progress items, the lines worth quoting, the quote.
 */

/** How many stderr lines an error message quotes. */
export const QUOTED_LINES = 6;

/**
 * A restored TOC entry in pg_restore's verbose output: serial mode says "creating X" or
 * "processing data for table"; parallel mode adds "launching/finished item" (only "finished" counts).
 */
export function restoredItem(line: string): { table?: string } | undefined {
  const data = /^pg_restore: processing data for table "(.+)"$/.exec(line);
  if (data) return { table: data[1]!.replace(/^public\./, '') };
  if (/^pg_restore: (creating|executing) /.test(line)) return {};
  return undefined;
}

export function isProblem(line: string): boolean {
  return (
    /error|fatal|warning|detail|hint|command was|^LINE \d+/i.test(line) &&
    !/^pg_restore: (creating|processing|executing|launching|finished|connecting|entering|implied data-only)/.test(line)
  );
}

/** psql names the line of its input: say it the way a user reads it. */
export const psqlProblem = (line: string): string => line.replace(/^psql:<stdin>:(\d+):/, 'line $1:');

/** The first problem lines, one line, masked, each cut to 400 characters. */
export function quote(lines: string[]): string {
  return maskSecrets(
    lines
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, QUOTED_LINES)
      .map((l) => (l.length > 400 ? l.slice(0, 400) + '…' : l))
      .join(' | '),
  );
}

/**
 * What `pg_restore --verbose` prints on stderr, line by line: restored items drive the progress
 * line ("12/40 items, data of orders"), problem lines are kept to quote in an error.
 */
export function pgRestoreStderr(progress: { update(detail: string): void }, entries: number) {
  const problems: string[] = [];
  let done = 0;
  let table = '';
  return {
    problems,
    onLine(line: string): void {
      const item = restoredItem(line);
      if (item) {
        done++;
        if (item.table) table = `, data of ${item.table}`;
        progress.update(`${Math.min(done, entries)}/${entries} items${table}`);
      } else if (isProblem(line) && problems.length < QUOTED_LINES) {
        problems.push(line);
      }
    },
  };
}
