import { parse, scan, type RawStmt, type SqlError } from 'libpg-query';
import { usageError } from '../core/errors.ts';
import { isTransactional, nodeKind } from './transactional.ts';
import type { Statement } from './types.ts';

/**
 * Splits a script into statements with the real PostgreSQL parser. The parser gives each
 * statement's start and length as byte offsets into the UTF-8 text (start = its first token, so
 * comments before it are not part of it; length up to its semicolon, or absent for a last statement
 * without one), and reports a syntax error's position as a 0-based character (code point) index.
 */
export async function splitStatements(sql: string, file: string, lineOffset = 0): Promise<Statement[]> {
  if (sql.trim() === '') return [];
  const tree = await parseOrExplain(sql, file, lineOffset);
  const bytes = Buffer.from(sql, 'utf8');
  const lines = lineIndex(bytes);
  const statements: Statement[] = [];
  for (const raw of tree) {
    if (!raw.stmt) continue;
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : await endOfLastToken(bytes, start);
    statements.push({
      index: statements.length,
      sql: bytes.subarray(start, end).toString('utf8').trimEnd(),
      line: lineOffset + lineAt(lines, start),
      kind: nodeKind(raw.stmt),
      transactional: isTransactional(raw.stmt),
    });
  }
  return statements;
}

async function parseOrExplain(sql: string, file: string, lineOffset: number): Promise<RawStmt[]> {
  try {
    return (await parse(sql)).stmts ?? [];
  } catch (err) {
    const details = (err as SqlError).sqlDetails;
    if (!details) throw err;
    const line = lineOffset + lineOfCharacter(sql, details.cursorPosition);
    throw usageError(`${file}:${line}: ${oneLine(details.message)}`, 'fix the migration file', err);
  }
}

/** The parser quotes the rest of the script after an unterminated string or comment: keep its first line. */
function oneLine(message: string): string {
  const cut = message.indexOf('\n');
  return cut === -1 ? message : `${message.slice(0, cut).trimEnd()}…"`;
}

/** Byte offsets of every '\n' (0x0A never occurs inside a multi-byte UTF-8 sequence). */
function lineIndex(bytes: Buffer): number[] {
  const newlines: number[] = [];
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) newlines.push(i);
  return newlines;
}

/** 1-based line of a byte offset: one more than the newlines before it. */
function lineAt(newlines: number[], offset: number): number {
  let lo = 0;
  let hi = newlines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((newlines[mid] ?? Infinity) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** 1-based line of a 0-based code-point index (the parser's error position). */
function lineOfCharacter(text: string, position: number): number {
  let line = 1;
  let seen = 0;
  for (const ch of text) {
    if (seen++ >= position) break;
    if (ch === '\n') line++;
  }
  return line;
}

/** For a last statement without a semicolon: the end of its last token, leaving trailing comments out. */
async function endOfLastToken(bytes: Buffer, start: number): Promise<number> {
  const tail = bytes.subarray(start).toString('utf8');
  const tokens = (await scan(tail)).tokens.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
  const last = tokens.at(-1);
  return last ? start + last.end : bytes.length;
}
