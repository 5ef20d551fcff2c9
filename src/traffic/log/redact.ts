import { normalizeSync, parseSync } from 'libpg-query';

/**
 * What of a logged statement may leave the traffic stage: its normalized text (libpg-query's
 * normalize, constants as $n). libpg-query leaves the constants of some utility
 * statements in place (COMMENT ON … IS '…', a column DEFAULT): every quoted string left is masked
 * too. Error messages of replayed statements are masked of the statement's own literals.
 */

const STRING = /(?:[EeBbXxUu]&?)?'(?:[^']|'')*'/g;
const DOLLAR = /\$([A-Za-z_][A-Za-z_0-9]*)?\$[\s\S]*?\$\1\$/g;
const DML = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** Masks every quoted string and dollar-quoted body of a text (identifiers in double quotes stay). */
export const maskStrings = (text: string) => text.replace(DOLLAR, '$$?$$').replace(STRING, "'?'");

/** The normalized text of a statement (it groups statements that differ only in their constants); null: the parser refuses it. */
export function normalizeStatement(sql: string): string | null {
  try {
    return maskStrings(normalizeSync(sql));
  } catch {
    return null;
  }
}

/** One DML statement (SELECT, INSERT, UPDATE, DELETE, MERGE): what a probe of a log's app runs. */
export function isDml(sql: string): boolean {
  try {
    const { stmts } = parseSync(sql) as { stmts: { stmt: Record<string, unknown> }[] };
    return stmts.length === 1 && DML.has(Object.keys(stmts[0]!.stmt)[0]!);
  } catch {
    return false;
  }
}

/** The literals of one execution that an error message could quote: its parameters and the constants in its text. */
export function literalsOf(sql: string, params: readonly (string | null)[] | null): string[] {
  const out = new Set<string>();
  for (const p of params ?? []) if (p !== null && p.length >= 2) out.add(p);
  for (const m of sql.matchAll(STRING)) {
    const body = m[0].slice(m[0].indexOf("'") + 1, -1).replaceAll("''", "'");
    if (body.length >= 2) out.add(body);
  }
  for (const m of sql.matchAll(DOLLAR)) {
    const tag = `$${m[1] ?? ''}$`;
    const body = m[0].slice(tag.length, -tag.length);
    if (body.length >= 2) out.add(body);
  }
  for (const m of sql.matchAll(/(?<![\w$])\d[\d.]+/g)) out.add(m[0]);
  return [...out].sort((a, b) => b.length - a.length);
}

/** A message with every one of the literals replaced by '…'. */
export function redactMessage(message: string, literals: readonly string[]): string {
  let out = message;
  for (const l of literals) if (out.includes(l)) out = out.split(l).join('…');
  return out;
}
