import { scan } from 'libpg-query';
import { usageError } from '../core/errors.ts';

/**
 * What a script holds besides SQL when a tool runs it through psql (sqitch, plain files) or feeds
 * `COPY … FROM stdin` itself (Flyway): the rows after a `COPY … FROM stdin;` up to the `\.` line, and
 * psql meta-commands (`\set ON_ERROR_STOP 1`). The script is cut into pieces: SQL (split later by the
 * parser), COPY data (attached to the COPY statement before it) and meta-commands (kept or refused).
 *
 * A candidate line is confirmed with the PostgreSQL scanner on the text before it, so a `\` or a
 * `FROM stdin` inside a string, a dollar-quoted function body or a comment is not taken for one.
 */

/** How a tool runs a script: psql (COPY and meta-commands), COPY only (Flyway), or a driver (neither). */
export type ScriptRunner = 'psql' | 'copy' | 'driver';

export type Piece =
  | { kind: 'sql'; text: string; lineOffset: number }
  /** the rows of the COPY statement that ends the sql piece before it */
  | { kind: 'copy-data'; data: string; line: number }
  | { kind: 'meta'; command: string; line: number };

/**
 * psql meta-commands that change nothing on the server (output, error handling, timing): skipped.
 * `\set` only for psql's own settings; any other variable would be interpolated into the SQL.
 */
const HARMLESS =
  /^\\(echo|qecho|warn|timing|pset|a|t|x|H|f|T|C|unset\s+(ON_ERROR_STOP|ECHO|QUIET|VERBOSITY|ON_ERROR_ROLLBACK))\b|^\\set\s+(ON_ERROR_STOP|ECHO|ECHO_HIDDEN|QUIET|VERBOSITY|SHOW_CONTEXT|ON_ERROR_ROLLBACK|AUTOCOMMIT\s+on)\b/i;

/** Why the others are refused, by command. */
const REFUSED: [RegExp, string][] = [
  [/^\\(i|ir|include|include_relative)\b/, 'it runs another file; inline that file in the migration'],
  [/^\\(c|connect)\b/, 'it connects to another database; the rehearsal replays in one database'],
  [/^\\copy\b/, 'it reads a file on the client; write COPY … FROM stdin with the rows inline'],
  [/^\\!/, 'it runs a shell command'],
  [/^\\(if|elif|else|endif)\b/, 'conditionals depend on psql variables the replay does not evaluate'],
  [/^\\(set|gset|gexec|g|gx|o|out|cd|setenv|lo_\w+)\b/, 'its effect depends on psql itself (variables, output files, client-side execution)'],
];

const META_LINE = /^[ \t]*\\/m;
const STDIN = /\bstdin\b/i;

/** Cuts `text` into pieces. A script with neither a `\` line nor `stdin` is one SQL piece (fast path). */
export async function cutScript(text: string, file: string, lineOffset: number): Promise<Piece[]> {
  if (!META_LINE.test(text) && !STDIN.test(text)) return [{ kind: 'sql', text, lineOffset }];
  const pieces: Piece[] = [];
  let rest = text;
  let restLine = lineOffset;
  for (;;) {
    const found = await nextCut(rest);
    if (!found) {
      pieces.push({ kind: 'sql', text: rest, lineOffset: restLine });
      return pieces;
    }
    const before = rest.slice(0, found.at);
    pieces.push({ kind: 'sql', text: before, lineOffset: restLine });
    const cutLine = restLine + countLines(before) + 1;
    if (found.kind === 'meta') {
      pieces.push({ kind: 'meta', command: found.command, line: cutLine });
      rest = rest.slice(found.end);
      restLine = cutLine;
      continue;
    }
    // the COPY statement ended on the line before `found.at`; its rows run to the `\.` line
    const data = rest.slice(found.at);
    const end = /^\\\.[ \t]*$/m.exec(data);
    if (!end) {
      throw usageError(`${file}:${cutLine - 1}: COPY … FROM stdin without a "\\." line ending its rows`, 'end the rows with a line holding only \\.');
    }
    pieces.push({ kind: 'copy-data', data: data.slice(0, end.index), line: cutLine });
    const after = data.indexOf('\n', end.index);
    const consumed = found.at + (after === -1 ? data.length : after + 1);
    restLine += countLines(rest.slice(0, consumed));
    rest = rest.slice(consumed);
  }
}

type Cut = { kind: 'meta'; at: number; end: number; command: string } | { kind: 'copy'; at: number };

/**
 * The first confirmed cut in `text`: a line starting with `\` at a statement boundary, or the line
 * after a `COPY … FROM stdin;` statement. Candidates inside strings or comments are passed over.
 */
async function nextCut(text: string): Promise<Cut | undefined> {
  let from = 0;
  for (;;) {
    const candidate = nextCandidate(text, from);
    if (!candidate) return undefined;
    const tokens = await scanPrefix(text.slice(0, candidate.lineEnd));
    if (tokens) {
      if (candidate.kind === 'meta') {
        const at = Buffer.byteLength(text.slice(0, candidate.backslash));
        if (tokens.some((t) => t.start === at && t.text === '\\')) {
          const lineEnd = text.indexOf('\n', candidate.backslash);
          const end = lineEnd === -1 ? text.length : lineEnd + 1;
          return { kind: 'meta', at: candidate.lineStart, end, command: text.slice(candidate.backslash, lineEnd === -1 ? undefined : lineEnd).trimEnd() };
        }
      } else if (endsWithCopyFromStdin(tokens)) {
        return { kind: 'copy', at: candidate.lineEnd };
      }
    }
    from = candidate.lineEnd;
  }
}

interface Candidate {
  kind: 'meta' | 'copy';
  lineStart: number;
  /** character index after the candidate line's newline */
  lineEnd: number;
  backslash: number;
}

/** The next line from `from` that starts with `\`, or that mentions stdin and ends with `;`. */
function nextCandidate(text: string, from: number): Candidate | undefined {
  let start = from;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const lineEnd = nl === -1 ? text.length : nl + 1;
    const line = text.slice(start, nl === -1 ? undefined : nl);
    const lead = /^[ \t]*\\/.exec(line);
    if (lead) return { kind: 'meta', lineStart: start, lineEnd, backslash: start + lead[0].length - 1 };
    if (STDIN.test(line) && /;[ \t]*(--.*)?\r?$/.test(line)) return { kind: 'copy', lineStart: start, lineEnd, backslash: -1 };
    start = lineEnd;
  }
  return undefined;
}

interface Token {
  text: string;
  start: number;
  tokenName: string;
}

/** The scanner's tokens, or undefined when the text stops inside a string or comment. */
async function scanPrefix(text: string): Promise<Token[] | undefined> {
  try {
    return (await scan(text)).tokens as Token[];
  } catch {
    return undefined;
  }
}

/** The last statement of the tokens is `COPY … FROM STDIN …;`. */
function endsWithCopyFromStdin(tokens: Token[]): boolean {
  const code = tokens.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
  if (code.at(-1)?.text !== ';') return false;
  let start = code.length - 2;
  while (start >= 0 && code[start]!.text !== ';') start--;
  const statement = code.slice(start + 1, -1).map((t) => t.text.toLowerCase());
  if (statement[0] !== 'copy') return false;
  const from = statement.lastIndexOf('from');
  return from !== -1 && statement[from + 1] === 'stdin';
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * A meta-command the replay can skip, or a usage error that says why it is refused. Only scripts a
 * tool runs through psql may hold one; for the others a `\` line is refused as the tool's driver would.
 */
export function checkMeta(command: string, file: string, line: number, runner: ScriptRunner, tool: string): void {
  const where = `${file}:${line}`;
  if (runner !== 'psql') {
    throw usageError(
      `${where}: psql meta-command ${firstWord(command)}: ${tool} does not run its files through psql, so the server would get it as SQL and fail`,
      'remove the line (or run the statement it stands for as SQL)',
    );
  }
  if (HARMLESS.test(command)) return;
  const reason = REFUSED.find(([re]) => re.test(command))?.[1] ?? 'the replay runs SQL only and does not know what it does';
  throw usageError(
    `${where}: psql meta-command ${firstWord(command)} is not replayed: ${reason}`,
    'see docs/migration-formats.md#copy--from-stdin-and-psql-meta-commands',
  );
}

/** A COPY … FROM stdin block is refused where the tool's driver cannot feed it. */
export function checkCopy(file: string, line: number, runner: ScriptRunner, tool: string): void {
  if (runner !== 'driver') return;
  throw usageError(
    `${file}:${line}: COPY … FROM stdin with inline rows: ${tool} sends the file through a driver that cannot feed them, so the migration would fail there`,
    'load the rows with INSERT … VALUES, or use a tool that runs psql',
  );
}

const firstWord = (command: string) => command.split(/\s+/)[0] ?? command;
