import path from 'node:path';
import type { Report, ReportStatement } from '../report/index.ts';
import { readWorkload, phaseName } from '../traffic/index.ts';
import type { SuggestedRewrite, SuggestionFailure } from './types.ts';

const WRITE = /^\s*(insert|update|delete|merge|copy)\b/i;

/**
 * What stopped the rehearsal of the suggestion (undefined when it passed): the failing statement
 * as written in the suggested folder, its error, the rewrite it belongs to, and — for an integrity
 * error (SQLSTATE class 23) with a workload — the apps' writes from the first rewritten step that
 * committed on its own to the failure, counted per query from the traffic's phases: rows the
 * original's one transaction kept waiting, and the rewrite let in.
 */
export async function suggestionFailure(
  after: Report,
  rewrites: SuggestedRewrite[],
  workloadFile: string | null,
  /** a migration file --suggest split out of a rewritten one → that file */
  partOf: Map<string, string> = new Map(),
): Promise<SuggestionFailure | undefined> {
  if (after.run.status === 'passed') return undefined;
  const flat = after.migrations.flatMap((m) => m.statements.map((s) => ({ m, s })));
  const at = flat.findIndex(({ s }) => s.error);
  const from = (file: string) => [...partOf].find(([part]) => same(part, file))?.[1] ?? file;
  const rewritten = (s: ReportStatement) => rewrites.find((r) => same(r.suggestedFile, from(s.file))) ?? null;
  if (at < 0) {
    const e = after.run.error;
    const m = after.migrations.find((x) => x.status === 'failed');
    return {
      statement: null,
      file: m?.file ?? null,
      line: null,
      sqlstate: e?.kind ?? 'failed',
      message: e?.message ?? (m ? `migration ${m.id} failed` : 'the run did not pass'),
      rule: null,
      cause: null,
    };
  }
  const { s } = flat[at]!;
  const e = s.error!;
  return {
    statement:
      s.sql
        .split('\n')
        .find((l) => l.trim() && !l.trim().startsWith('--'))
        ?.trim() ?? s.sql.trim(),
    file: e.file,
    line: e.line,
    sqlstate: e.sqlstate,
    message: e.message,
    rule: rewritten(s)?.rule ?? null,
    cause: e.sqlstate.startsWith('23') ? await writesMeanwhile(after, flat, at, rewritten, workloadFile) : null,
  };
}

const same = (a: string, b: string) => path.resolve(a) === path.resolve(b);

async function writesMeanwhile(
  after: Report,
  flat: { m: Report['migrations'][number]; s: ReportStatement }[],
  at: number,
  rewritten: (s: ReportStatement) => SuggestedRewrite | null,
  workloadFile: string | null,
): Promise<string | null> {
  if (!after.workload) return null;
  // from the first rewritten step that committed on its own (a batched backfill, a step outside the transaction)
  let from = flat.findIndex(({ s }, i) => i < at && rewritten(s) !== null && !s.inTransaction && s.kind !== 'TransactionStmt');
  if (from < 0) from = flat.findIndex(({ m }) => m === flat[at]!.m);
  const phases = new Set(flat.slice(from, at + 1).map(({ m, s }) => phaseName(m.id, s.index)));
  const writes = new Map<string, Set<string>>();
  if (workloadFile) {
    try {
      for (const app of (await readWorkload(workloadFile)).apps) {
        writes.set(app.name, new Set(app.queries.filter((q) => q.steps.some((x) => WRITE.test(x.sql))).map((q) => q.name)));
      }
    } catch {
      // unreadable now: count every query
    }
  }
  const parts: string[] = [];
  for (const app of after.workload.apps) {
    const known = writes.get(app.name);
    const counts = app.queries
      .filter((q) => !known || known.has(q.name))
      .map((q) => ({ name: q.name, n: q.phases.filter((p) => phases.has(p.phase)).reduce((t, p) => t + p.ok, 0) }))
      .filter((q) => q.n > 0);
    if (counts.length === 0) continue;
    const total = counts.reduce((t, q) => t + q.n, 0);
    parts.push(
      `app ${app.name} ran ${total} ${known ? 'write' : 'quer'}${total === 1 ? (known ? '' : 'y') : known ? 's' : 'ies'} (${counts.map((q) => `${q.name} ×${q.n}`).join(', ')})`,
    );
  }
  if (parts.length === 0) return null;
  const start = flat[from]!.s;
  return `${parts.join('; ')} between ${path.basename(start.file)}:${start.line} and the failure: rows written meanwhile that the rewritten steps did not cover (in the original they waited for the migration's one transaction)`;
}
