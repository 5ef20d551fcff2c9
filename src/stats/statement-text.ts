import { loadModule, parseSync, scanSync } from 'libpg-query';

/**
 * What a statement text is, read with PostgreSQL's own parser (libpg-query): a DML statement the
 * applications send (its text without comments, its command, the tables it names), a utility
 * statement, a text still carrying a constant, or one the parser cannot read. Pure once the parser
 * module is loaded (`await loadSqlParser()`). Shared by `rehearse stats` and `rehearse capture`.
 */
export const loadSqlParser = (): Promise<void> => loadModule();

export type StatementReading = { kind: 'statement'; text: string; command: string; tables: string[] } | { kind: 'utility' | 'withConstants' | 'unparsable' };

type Node = Record<string, unknown>;

const COMMANDS: Record<string, string> = {
  SelectStmt: 'SELECT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
};

/** The text without its comments (`/* … *\/`, `-- …`: ORM tags may carry values), whitespace runs as one space. */
export function withoutComments(text: string): string {
  let tokens: { start: number; end: number; tokenName: string }[];
  try {
    tokens = scanSync(text).tokens;
  } catch {
    return text.trim();
  }
  let out = '';
  let at = 0;
  for (const t of tokens) {
    if (t.tokenName !== 'C_COMMENT' && t.tokenName !== 'SQL_COMMENT') continue;
    out += text.slice(at, t.start) + ' ';
    at = t.end;
  }
  out += text.slice(at);
  return out.replace(/\s+/g, ' ').trim();
}

/** The first statement's parse tree (`{ SelectStmt: … }`), or null when the parser refuses the text. */
export function parseStatement(text: string): Node | null {
  try {
    const stmt = parseSync(text).stmts?.[0]?.stmt as Node | undefined;
    return stmt ?? null;
  } catch {
    return null;
  }
}

export function readStatementText(raw: string): StatementReading {
  const text = withoutComments(raw);
  const stmt = parseStatement(text);
  if (!stmt) return { kind: 'unparsable' };
  const [kind, body] = Object.entries(stmt)[0] as [string, Node];
  const command = COMMANDS[kind];
  if (!command) return { kind: 'utility' };
  if (carriesConstant(body)) return { kind: 'withConstants' };
  return { kind: 'statement', text, command, tables: tablesOf(stmt) };
}

/** Tables a statement names (qualified, `public.` when unqualified; CTE names left out); [] when it does not parse. */
export function tablesNamed(sql: string): string[] {
  try {
    // every statement of the text: `BEGIN; SELECT … FROM orders` names orders
    const stmts = (parseSync(sql).stmts ?? []).map((s) => s.stmt as Node);
    return [...new Set(stmts.flatMap((s) => tablesOf(s)))];
  } catch {
    return [];
  }
}

export function tablesOf(tree: Node): string[] {
  const ctes = new Set<string>();
  const tables = new Set<string>();
  walk(tree, (key, node) => {
    if (key === 'CommonTableExpr' && typeof node.ctename === 'string') ctes.add(node.ctename);
    if (key === 'RangeVar' && typeof node.relname === 'string') {
      const schema = typeof node.schemaname === 'string' ? node.schemaname : undefined;
      tables.add(schema ? `${schema}.${node.relname}` : `\0${node.relname}`);
    }
    return true;
  });
  return [...tables].filter((t) => !(t.startsWith('\0') && ctes.has(t.slice(1)))).map((t) => (t.startsWith('\0') ? `public.${t.slice(1)}` : t));
}

/**
 * True when a literal value is left in the tree: a string, number or bit-string constant. NULL and
 * true/false are not values of a row; `ORDER BY 1`, `GROUP BY 1` and a type's modifiers
 * (`varchar(80)`) are positions and sizes, which pg_stat_statements leaves as written.
 */
export function carriesConstant(tree: Node): boolean {
  let found = false;
  walk(tree, (key, node, parentKey) => {
    if (found) return false;
    if (key === 'TypeName') return false;
    if (key === 'SortBy' && isConst(node.node)) return true;
    if (key === 'A_Const' && parentKey !== 'sortPosition' && parentKey !== 'groupClause') {
      if ('sval' in node || 'ival' in node || 'fval' in node || 'bsval' in node) found = true;
      return false;
    }
    return true;
  });
  return found;
}

const isConst = (n: unknown): boolean => typeof n === 'object' && n !== null && 'A_Const' in n;

/**
 * Depth-first over the JSON tree: `visit(nodeType, body, parentKey)` for every `{ NodeType: body }`;
 * returning false skips the body's children. A SortBy's constant is visited with parentKey
 * 'sortPosition', a GROUP BY item's with 'groupClause'.
 */
function walk(value: unknown, visit: (key: string, node: Node, parentKey: string) => boolean, parentKey = ''): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit, parentKey);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value as Node)) {
    if (/^[A-Z]/.test(key) && typeof child === 'object' && child !== null && !Array.isArray(child)) {
      if (!visit(key, child as Node, parentKey)) continue;
      if (key === 'SortBy') {
        const { node, ...rest } = child as Node;
        walk(node, visit, isConst(node) ? 'sortPosition' : key);
        walk(rest, visit, key);
        continue;
      }
      walk(child, visit, key);
    } else if (key === 'typmods') {
      // varchar(80): a size, never a row value (pg_stat_statements leaves it as written)
    } else if (key === 'relation' && typeof child === 'object' && child !== null && 'relname' in child) {
      // INSERT/UPDATE/DELETE/MERGE's target is a bare RangeVar body
      if (visit('RangeVar', child as Node, parentKey)) walk(child, visit, 'RangeVar');
    } else {
      walk(child, visit, key);
    }
  }
}
