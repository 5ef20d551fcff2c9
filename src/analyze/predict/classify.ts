import { parseSync, loadModule } from 'libpg-query';
import type { StatementTrace } from '../../replay/index.ts';
import type { Classification, CostModel } from './types.ts';

/**
 * The cost class of a statement, from what the replay measured (a relfilenode that changed is a
 * rewrite) and the parse tree (what the statement asks PostgreSQL to do). Pure once the parser
 * module is loaded (`await loadParser()`).
 */
export const loadParser = (): Promise<void> => loadModule();

type Node = Record<string, unknown>;
interface RangeVar {
  schemaname?: string;
  relname: string;
}

/** `orders` → `public.orders`; quotes dropped: the one spelling predictions match tables by. */
export const tableKey = (name: string): string => {
  const bare = name.replace(/"/g, '');
  return bare.includes('.') ? bare : `public.${bare}`;
};
const rangeVarName = (r: RangeVar | undefined): string | null => (r ? tableKey(r.schemaname ? `${r.schemaname}.${r.relname}` : r.relname) : null);

const TABLE_KINDS = new Set(['r', 'p', 'm']);

export function classify(trace: Pick<StatementTrace, 'sql' | 'rewrites' | 'error'>): Classification {
  const rewritten = trace.rewrites.find((r) => r.relkind !== null && TABLE_KINDS.has(r.relkind));
  if (rewritten)
    return { model: 'table-rewrite', table: tableKey(rewritten.relation), reason: `relfilenode of ${rewritten.relation} changed: the table was rewritten` };
  const stmt = parseOne(trace.sql);
  if (!stmt) return constant('not one statement the parser reads');
  const [kind, body] = Object.entries(stmt)[0] as [string, Node];
  const on = (model: CostModel, r: RangeVar | undefined, reason: string): Classification => {
    const table = rangeVarName(r);
    return table ? { model, table, reason } : constant(reason);
  };
  switch (kind) {
    case 'IndexStmt': {
      const c = on(
        body.concurrent ? 'concurrent-index-build' : 'index-build',
        body.relation as RangeVar,
        body.concurrent ? 'CREATE INDEX CONCURRENTLY' : 'CREATE INDEX',
      );
      const params = ((body.indexParams as Node[] | undefined) ?? []).map((p) => ((p.IndexElem as Node | undefined)?.name as string | undefined) ?? null);
      return c.model === 'constant' ? c : { ...c, columns: params };
    }
    case 'ReindexStmt': {
      const concurrent = ((body.params as Node[] | undefined) ?? []).some((p) => (p.DefElem as Node | undefined)?.defname === 'concurrently');
      return on(concurrent ? 'concurrent-index-build' : 'index-build', body.relation as RangeVar, 'REINDEX');
    }
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      return on('row-updates', body.relation as RangeVar, kind.replace(/Stmt$/, '').toUpperCase());
    case 'InsertStmt':
      if (!body.selectStmt || isValues(body.selectStmt as Node)) return constant('INSERT … VALUES: as many rows whatever the tables hold');
      return on('row-updates', (firstFrom(body.selectStmt as Node) ?? body.relation) as RangeVar, 'INSERT … SELECT');
    case 'AlterTableStmt':
      return alterTable(body);
    default:
      return constant(`${kind}: its cost does not grow with the data`);
  }
}

function alterTable(body: Node): Classification {
  const table = rangeVarName(body.relation as RangeVar);
  const cmds = ((body.cmds as Node[] | undefined) ?? []).map((c) => c.AlterTableCmd as Node);
  let best: Classification | null = null;
  const rank: Record<CostModel, number> = { 'table-rewrite': 5, 'index-build': 4, 'concurrent-index-build': 3, 'full-scan': 2, 'row-updates': 1, constant: 0 };
  const take = (model: CostModel, reason: string) => {
    if (table && (!best || rank[model] > rank[best.model])) best = { model, table, reason };
  };
  for (const cmd of cmds) {
    const sub = cmd.subtype as string;
    const con = (cmd.def as Node | undefined)?.Constraint as Node | undefined;
    if (sub === 'AT_ValidateConstraint') take('full-scan', 'VALIDATE CONSTRAINT scans the table');
    else if (sub === 'AT_SetNotNull') take('full-scan', 'SET NOT NULL scans the table');
    else if (sub === 'AT_AddConstraint' && con) {
      const type = con.contype as string;
      if ((type === 'CONSTR_PRIMARY' || type === 'CONSTR_UNIQUE' || type === 'CONSTR_EXCLUSION') && !con.indexname)
        take('index-build', `ADD ${type.replace('CONSTR_', '')} builds an index`);
      else if ((type === 'CONSTR_CHECK' || type === 'CONSTR_FOREIGN' || type === 'CONSTR_NOTNULL') && !con.skip_validation)
        take('full-scan', `ADD ${type.replace('CONSTR_', '')} without NOT VALID scans the table`);
    }
  }
  return best ?? constant('ALTER TABLE that neither rewrote nor scanned the table');
}

const constant = (reason: string): Classification => ({ model: 'constant', table: null, reason });

function parseOne(sql: string): Node | null {
  try {
    const stmts = (parseSync(sql) as { stmts?: { stmt: Node }[] }).stmts ?? [];
    return stmts.length === 1 ? stmts[0]!.stmt : null;
  } catch {
    return null;
  }
}

function isValues(select: Node): boolean {
  const s = select.SelectStmt as Node | undefined;
  return Boolean(s?.valuesLists);
}

function firstFrom(select: Node): RangeVar | undefined {
  const s = select.SelectStmt as Node | undefined;
  const from = (s?.fromClause as Node[] | undefined)?.[0];
  return from?.RangeVar as RangeVar | undefined;
}
