import type { Finding, Rule } from '../types.ts';

/**
 * breaks-running-app: after this migration the old application version's probes fail (a column or
 * table renamed or dropped under it). When the rollout is safe this is the contract step (info: run
 * it after the old app is gone); when no schema state serves both versions it is an outage (error).
 * Safe pattern: expand/contract with the deploy order — add the new name, keep both in step, deploy
 * the new app, then drop the old name. Not mechanical.
 */
export const breaksRunningApp: Rule = {
  id: 'breaks-running-app',
  check({ report, statements }) {
    const c = report.compatibility;
    if (!c) return [];
    const out: Finding[] = [];
    const old = c.apps.filter((a) => a.role === 'old').map((a) => a.name);
    for (let i = 1; i < c.states.length; i++) {
      const state = c.states[i]!;
      const prev = c.states[i - 1]!;
      for (const app of old) {
        const before = c.cells.find((x) => x.state === prev && x.app === app);
        const after = c.cells.find((x) => x.state === state && x.app === app);
        if (!before?.ok || !after || after.ok) continue;
        const m = report.migrations.find((x) => x.id === state);
        if (!m) continue;
        // the statement that renamed or dropped something, else the migration's first
        const st =
          statements.find(
            (x) =>
              x.m === m &&
              (x.ast?.RenameStmt || x.ast?.DropStmt || x.ast?.AlterTableStmt?.cmds?.some((k: any) => k.AlterTableCmd?.subtype === 'AT_DropColumn')),
          ) ?? statements.find((x) => x.m === m);
        const f = after.failures[0];
        const safe = c.rollout?.safe ?? false;
        out.push({
          rule: 'breaks-running-app',
          severity: safe ? 'info' : 'error',
          migrationId: m.id,
          statementIndex: st?.s.index ?? null,
          file: st?.s.file || m.file || null,
          line: st?.s.file ? st.s.line : null,
          title: `the ${app} app breaks after ${m.id}: ${f ? `${f.query} ${f.sqlstate} ${f.message}` : 'its probes fail'}`,
          evidence: { app, state: m.id, failures: after.failures.length, ...(f ? { query: f.query, sqlstate: f.sqlstate } : {}) },
          advice: safe
            ? `This is the contract step: run ${m.id} only after every instance of the ${app} app is gone (${c.rollout?.summary ?? ''}).`
            : `Expand/contract: add the new name next to the old one and keep both in step (a trigger or the app writing both), deploy the new app, and drop the old name in a later migration once the ${app} app is gone.`,
          suggestedSql: null,
          mechanical: false,
        });
      }
    }
    return out;
  },
};
