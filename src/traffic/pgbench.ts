import { basename, extname } from 'node:path';
import { usageError } from '../core/errors.ts';
import type { ParamSpec, QuerySpec, Step } from './types.ts';

/**
 * A pgbench custom script (`pgbench -f script.sql`) as one query of an app: each run of the script
 * is one execution. Supported: `\set name random(lo, hi)` and `\set name <integer>`, `:name` in SQL
 * (sent as a bind parameter, the same value everywhere in one run), SQL commands ending with `;`
 * (they may span lines), and one BEGIN … END/COMMIT around them (the script then runs as one
 * transaction). Every other meta-command is an error naming the line.
 */
export function parsePgbenchScript(text: string, file: string, rate: number | null = null): QuerySpec {
  const name = basename(file, extname(file))
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^[^A-Za-z]/, 'q$&');
  const vars: { name: string; spec: ParamSpec }[] = [];
  const commands: { sql: string; line: number }[] = [];

  for (const item of scan(text)) {
    if (item.kind === 'sql') {
      commands.push(item);
      continue;
    }
    const where = `${file}:${item.line}`;
    const m = /^\\(\w+)\s*(.*)$/s.exec(item.text.trim());
    const command = m?.[1] ?? item.text.trim();
    if (command !== 'set' || item.inline) {
      throw usageError(
        `${where}: pgbench meta-command \\${command} is not supported`,
        'only \\set with random(lo, hi) or an integer constant is; run the rest as SQL or drop it',
      );
    }
    const set = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.+)$/s.exec(m?.[2]?.trim() ?? '');
    if (!set) throw usageError(`${where}: \\set needs a variable name and a value`, 'e.g. \\set aid random(1, 100000)');
    const spec = setExpression(set[2]!.trim());
    if (!spec) {
      throw usageError(`${where}: \\set ${set[1]} ${set[2]!.trim()}: only random(lo, hi) with integer bounds or an integer constant is supported`);
    }
    const existing = vars.findIndex((v) => v.name === set[1]);
    if (existing >= 0) vars.splice(existing, 1);
    vars.push({ name: set[1]!, spec });
  }

  // One optional transaction around everything.
  const isBegin = (s: string) => /^\s*(begin|start\s+transaction)\b/i.test(s);
  const isEnd = (s: string) => /^\s*(end|commit)\b/i.test(s);
  let transaction = false;
  let body = commands;
  if (commands.length > 0 && isBegin(commands[0]!.sql)) {
    const last = commands.at(-1)!;
    if (!isEnd(last.sql) || commands.length < 2)
      throw usageError(`${file}:${commands[0]!.line}: BEGIN without a final END/COMMIT`, 'a script may hold one transaction: BEGIN first, END last');
    transaction = true;
    body = commands.slice(1, -1);
  }
  for (const c of body) {
    if (isBegin(c.sql) || isEnd(c.sql) || /^\s*(rollback|abort|savepoint|release)\b/i.test(c.sql)) {
      throw usageError(`${file}:${c.line}: transaction control inside the script is not supported`, 'a script may hold one transaction: BEGIN first, END last');
    }
  }
  if (body.length === 0) throw usageError(`${file}: no SQL command in the pgbench script`);

  const steps: Step[] = body.map((c) => bindVariables(c.sql, c.line, file, vars));
  return { name, steps, transaction, vars, rate, prepared: false, source: file };
}

function setExpression(expr: string): ParamSpec | null {
  const int = /^-?\d+$/;
  if (int.test(expr)) return { kind: 'const', value: Number(expr) };
  const m = /^random\s*\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)$/i.exec(expr);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi) return null;
  return { kind: 'int', lo, hi };
}

/** Replace `:name` (not `::type`, not inside quotes or comments) by $1, $2, … in order of first use. */
function bindVariables(sql: string, line: number, file: string, vars: { name: string }[]): Step {
  const order: string[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const skip = skipQuotedOrComment(sql, i);
    if (skip > i) {
      out += sql.slice(i, skip);
      i = skip;
      continue;
    }
    const ch = sql[i]!;
    if (ch === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
      continue;
    }
    const m = ch === ':' ? /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(sql.slice(i)) : null;
    if (m) {
      const name = m[1]!;
      if (!vars.some((v) => v.name === name)) {
        const at = line + (sql.slice(0, i).match(/\n/g) ?? []).length;
        throw usageError(
          `${file}:${at}: :${name} is not set by a \\set before it`,
          name === 'scale' || name === 'client_id' ? `pgbench's built-in :${name} is not supported; \\set it to a constant` : undefined,
        );
      }
      let n = order.indexOf(name);
      if (n < 0) n = order.push(name) - 1;
      out += `$${n + 1}`;
      i += m[0].length;
      continue;
    }
    out += ch;
    i += 1;
  }
  return { sql: out.trim(), params: order.map((name) => ({ kind: 'var', name })) };
}

type Item = { kind: 'sql'; sql: string; line: number } | { kind: 'meta'; text: string; line: number; inline?: boolean };

/** Split a script into meta-command lines and SQL commands ending with ';' (quotes and comments respected). */
function scan(text: string): Item[] {
  const items: Item[] = [];
  let buf = '';
  let bufLine = 1;
  /** buf holds more than whitespace and comments */
  let inCommand = false;
  let line = 1;
  let i = 0;
  const flush = () => {
    const sql = stripComments(buf).trim();
    if (sql) items.push({ kind: 'sql', sql, line: bufLine });
    buf = '';
    inCommand = false;
  };
  while (i < text.length) {
    const lineStart = i === 0 || text[i - 1] === '\n';
    if (lineStart && !inCommand && /^[ \t]*\\/.test(text.slice(i, i + 200))) {
      // a meta-command: a backslash first on a line where no SQL command is in progress; a
      // backslash at the end of the line continues it
      buf = '';
      const start = line;
      let meta = '';
      for (;;) {
        const nl = text.indexOf('\n', i);
        const piece = (nl < 0 ? text.slice(i) : text.slice(i, nl)).replace(/\r$/, '');
        i = nl < 0 ? text.length : nl + 1;
        if (nl >= 0) line += 1;
        if (piece.endsWith('\\') && i < text.length) {
          meta += piece.slice(0, -1) + ' ';
          continue;
        }
        meta += piece;
        break;
      }
      items.push({ kind: 'meta', text: meta, line: start });
      continue;
    }
    const skip = skipQuotedOrComment(text, i);
    if (skip > i) {
      const piece = text.slice(i, skip);
      const comment = piece.startsWith('--') || piece.startsWith('/*');
      if (!comment && !inCommand) {
        inCommand = true;
        bufLine = line;
      }
      buf += piece;
      line += (piece.match(/\n/g) ?? []).length;
      i = skip;
      continue;
    }
    const ch = text[i]!;
    if (ch === ';') {
      flush();
      i += 1;
      continue;
    }
    if (ch === '\\' && inCommand && /[A-Za-z]/.test(text[i + 1] ?? '')) {
      // a meta-command ending an SQL command (\gset, \aset, …)
      const nl = text.indexOf('\n', i);
      items.push({ kind: 'meta', text: nl < 0 ? text.slice(i) : text.slice(i, nl), line, inline: true });
      buf = '';
      inCommand = false;
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (ch === '\n') line += 1;
    else if (!inCommand && !/\s/.test(ch)) {
      inCommand = true;
      bufLine = line;
    }
    buf += ch;
    i += 1;
  }
  flush();
  return items;
}

function stripComments(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const skip = skipQuotedOrComment(sql, i);
    if (skip > i) {
      const piece = sql.slice(i, skip);
      out += piece.startsWith('--') || piece.startsWith('/*') ? ' ' : piece;
      i = skip;
    } else {
      out += sql[i];
      i += 1;
    }
  }
  return out;
}

/** If a quoted string, quoted identifier, dollar-quoted string or comment starts at i, the index after it. */
function skipQuotedOrComment(s: string, i: number): number {
  const ch = s[i];
  if (ch === "'" || ch === '"') {
    let j = i + 1;
    while (j < s.length) {
      if (s[j] === ch) {
        if (s[j + 1] === ch) j += 2;
        else return j + 1;
      } else j += 1;
    }
    return s.length;
  }
  if (ch === '-' && s[i + 1] === '-') {
    const nl = s.indexOf('\n', i);
    return nl < 0 ? s.length : nl;
  }
  if (ch === '/' && s[i + 1] === '*') {
    const end = s.indexOf('*/', i + 2);
    return end < 0 ? s.length : end + 2;
  }
  if (ch === '$') {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i));
    if (m && !(i > 0 && /[A-Za-z0-9_]/.test(s[i - 1]!))) {
      const end = s.indexOf(m[0], i + m[0].length);
      return end < 0 ? s.length : end + m[0].length;
    }
  }
  return i;
}
