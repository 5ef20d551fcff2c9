import type { BudgetViolation } from '../../model/types.ts';
import type { Budget } from './types.ts';
import { appName } from '../queries.ts';
import type { CompatibilityMatrix } from '../../../traffic/index.ts';

/**
 * oldAppCompatible: the old app version passes its probes at every schema state before the contract
 * step. The contract step is `contractMigration` when set (the first migration meant to run once the
 * old app is gone); otherwise the old app must keep working up to the state where the new app
 * starts working (so both run side by side during the deploy), or through every state when the
 * workload has no new app.
 */
export const oldAppCompatible: Budget = {
  name: 'oldAppCompatible',
  unit: 'count',
  limit: (c) => (c.oldAppCompatible ? 0 : null),
  describe: (c) =>
    c.contractMigration
      ? `the old app passes every schema state before the contract migration ${c.contractMigration}`
      : 'the old app passes every schema state until the new app works',
  evaluate({ report, config }) {
    const c = report.compatibility;
    if (!c || c.states.length === 0) return { skipped: 'no application traffic in this run (rehearse run --workload FILE)', violations: [] };
    const { old, neu } = roles(c);
    if (!old) return { skipped: 'the workload has no app', violations: [] };
    let end: number;
    let until: string;
    if (config.contractMigration !== null) {
      const i = c.states.indexOf(config.contractMigration);
      if (i < 0)
        return {
          skipped: `the contract migration ${config.contractMigration} is not among the rehearsed migrations (${c.states.slice(1).join(', ')})`,
          violations: [],
        };
      end = i - 1;
      until = `before the contract migration ${config.contractMigration}`;
    } else if (neu && c.newAppFirstState !== null && c.states.includes(c.newAppFirstState)) {
      end = c.states.indexOf(c.newAppFirstState);
      until = `until the new app (${neu}) works, at ${c.newAppFirstState}`;
    } else {
      end = c.states.length - 1;
      until = neu ? `at every state (the new app ${neu} never passes, so there is no point to deploy it)` : 'at every state';
    }
    const fails = (i: number) => c.cells.find((x) => x.state === c.states[i] && x.app === old)?.ok !== true;
    const violations: BudgetViolation[] = [];
    for (let i = 0; i <= end; i++) {
      if (!fails(i) || (i > 0 && fails(i - 1))) continue;
      let j = i;
      while (j + 1 <= end && fails(j + 1)) j++;
      const state = c.states[i]!;
      const migration = i > 0 ? report.migrations.find((m) => m.id === state) : undefined;
      const failures = c.cells.find((x) => x.state === state && x.app === old)?.failures ?? [];
      const first = failures[0];
      violations.push({
        migrationId: i > 0 ? state : null,
        statementIndex: null,
        file: migration?.file ?? null,
        line: null,
        value: j - i + 1,
        message:
          `the old app (${old}) fails ${i > 0 ? `after migration ${state}${migration ? ` ${migration.name}` : ''}` : 'at the starting schema'}` +
          (first ? `: ${first.query} ${first.sqlstate} ${first.message}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}` : '') +
          `; it must pass ${until}` +
          (j > i ? ` (fails through ${c.states[j]})` : ''),
      });
    }
    return { violations };
  },
};

function roles(c: CompatibilityMatrix): { old: string | undefined; neu: string | undefined } {
  const apps = c.apps.map((a) => (typeof a === 'string' ? { name: a, role: undefined } : { name: a.name, role: a.role }));
  const old = apps.find((a) => a.role === 'old') ?? apps.find((a) => a.name === 'old') ?? apps[0];
  const neu = apps.find((a) => a.role === 'new') ?? apps.find((a) => a.name === 'new') ?? (apps.length > 1 ? apps.at(-1) : undefined);
  return { old: old?.name, neu: neu && neu !== old ? appName(neu) : undefined };
}
