import { parse } from 'libpg-query';
import pg from 'pg';
import type { Migration } from '../migrations/index.ts';
import type { DataLossWarning } from './types.ts';

interface Drop {
  statementIndex: number;
  line: number;
  table: { schema: string | null; name: string };
  column: string | null;
}

interface RangeVar {
  schemaname?: string;
  relname: string;
}

/** The columns and tables a script drops, read from the parse tree. */
export async function dropsOf(migration: Migration): Promise<Drop[]> {
  const script = migration.down;
  if (!script) return [];
  const drops: Drop[] = [];
  for (const stmt of script.statements) {
    const tree = await parse(stmt.sql).catch(() => null);
    for (const raw of tree?.stmts ?? []) {
      const node = raw.stmt as Record<string, unknown> | undefined;
      const alter = node?.AlterTableStmt as { relation?: RangeVar; cmds?: { AlterTableCmd?: { subtype?: string; name?: string } }[] } | undefined;
      if (alter?.relation) {
        for (const cmd of alter.cmds ?? []) {
          if (cmd.AlterTableCmd?.subtype === 'AT_DropColumn' && cmd.AlterTableCmd.name) {
            drops.push({ statementIndex: stmt.index, line: stmt.line, table: table(alter.relation), column: cmd.AlterTableCmd.name });
          }
        }
      }
      const drop = node?.DropStmt as { removeType?: string; objects?: { List?: { items?: { String?: { sval?: string } }[] } }[] } | undefined;
      if (drop?.removeType === 'OBJECT_TABLE') {
        for (const obj of drop.objects ?? []) {
          const parts = (obj.List?.items ?? []).map((i) => i.String?.sval ?? '');
          const name = parts.at(-1);
          if (name) drops.push({ statementIndex: stmt.index, line: stmt.line, table: { schema: parts.length > 1 ? parts.at(-2)! : null, name }, column: null });
        }
      }
    }
  }
  return drops;
}

const table = (r: RangeVar) => ({ schema: r.schemaname ?? null, name: r.relname });

/**
 * Before a down migration runs: which of its drops would destroy values? Counts only (never the
 * values themselves): non-null values of a dropped column, rows of a dropped table.
 */
export async function dataLossOf(url: string, migration: Migration): Promise<DataLossWarning[]> {
  const drops = await dropsOf(migration);
  if (drops.length === 0) return [];
  const client = new pg.Client({ connectionString: url, application_name: 'rehearse/inspect' });
  await client.connect();
  const warnings: DataLossWarning[] = [];
  try {
    for (const d of drops) {
      const rel = (d.table.schema ? pg.escapeIdentifier(d.table.schema) + '.' : '') + pg.escapeIdentifier(d.table.name);
      const sql = d.column ? `SELECT count(${pg.escapeIdentifier(d.column)})::int8::text AS n FROM ${rel}` : `SELECT count(*)::int8::text AS n FROM ${rel}`;
      const n = await client.query<{ n: string }>(sql).then(
        (r) => Number(r.rows[0]!.n),
        () => 0, // the table or column does not exist (any more): nothing to lose
      );
      if (n === 0) continue;
      const object = (d.table.schema ? `${d.table.schema}.` : '') + d.table.name + (d.column ? `.${d.column}` : '');
      warnings.push({
        migrationId: migration.id,
        statementIndex: d.statementIndex,
        file: migration.down!.file,
        line: d.line,
        object,
        objectKind: d.column ? 'column' : 'table',
        valuesLost: n,
        message: d.column
          ? `the down of ${migration.id} drops column ${object}, which holds ${n.toLocaleString('en-US')} non-null values written since the up`
          : `the down of ${migration.id} drops table ${object}, which holds ${n.toLocaleString('en-US')} rows`,
      });
    }
  } finally {
    await client.end();
  }
  return warnings;
}
