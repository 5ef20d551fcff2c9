import type { AppRole, CompatibilityCell, CompatibilityMatrix, ProbeResult, Rollout } from './types.ts';

/**
 * The schema-state × app-version matrix from the probes, and what it says about the rollout.
 *
 * `states` is the initial state first, then one per migration in replay order, named by the
 * migration's id (state i is the schema after migration states[i]). `probes` holds every state's
 * probe results (probeAll); a state with none counts as failing for every app. `apps` gives names
 * and roles (workload.apps); without it, apps are taken in the order the probes list them, the
 * first being old and the last new.
 */
export function compatibilityMatrix(states: string[], probes: Map<string, ProbeResult[]>, apps?: { name: string; role: AppRole }[]): CompatibilityMatrix {
  const appList = apps?.map(({ name, role }) => ({ name, role })) ?? inferApps(states, probes);
  const cells: CompatibilityCell[] = [];
  for (const state of states) {
    const results = probes.get(state);
    for (const app of appList) {
      const mine = results?.filter((r) => r.app === app.name) ?? [];
      const failures = mine.flatMap((r) => (r.ok ? [] : [{ query: r.query, sqlstate: r.sqlstate, message: r.message }]));
      if (!results) failures.push({ query: '*', sqlstate: 'NOPROBE', message: 'this state was not probed' });
      cells.push({ state, app: app.name, ok: failures.length === 0, failures });
    }
  }
  const passes = (app: string, i: number) => cells.find((c) => c.state === states[i] && c.app === app)?.ok === true;

  const old = appList.find((a) => a.role === 'old') ?? appList[0];
  const neu = appList.find((a) => a.role === 'new') ?? (appList.length > 1 ? appList.at(-1) : undefined);
  let a = -1;
  if (old) while (a + 1 < states.length && passes(old.name, a + 1)) a++;
  let b = states.length;
  if (neu) while (b - 1 >= 0 && passes(neu.name, b - 1)) b--;

  return {
    states: [...states],
    apps: appList,
    cells,
    oldAppLastState: old && a >= 0 ? states[a]! : null,
    newAppFirstState: neu && b < states.length ? states[b]! : null,
    rollout: old && neu && old !== neu ? rollout(states, a, b) : null,
  };
}

/** a: last state index the old app passes (prefix); b: first state index the new app passes (suffix). */
function rollout(states: string[], a: number, b: number): Rollout {
  const migrations = (from: number, to: number) => states.slice(Math.max(1, from), Math.max(1, to + 1));
  const n = states.length;
  const empty = { beforeDeploy: [], whileBoth: [], afterOldGone: [], breaksBoth: [] };
  if (a < 0) return { safe: false, ...empty, summary: `The old app already fails at ${states[0] ?? 'the initial state'}, before any migration: check the workload against the starting schema.` };
  if (b >= n) return { safe: false, ...empty, summary: `The new app does not pass at ${states[n - 1] ?? 'the last state'}, after every migration: no rollout makes it work.` };
  if (b <= a) {
    const beforeDeploy = migrations(1, b);
    const whileBoth = migrations(b + 1, a);
    const afterOldGone = migrations(a + 1, n - 1);
    const parts = [
      beforeDeploy.length ? `Run ${list(beforeDeploy)} before deploying the new app` : 'Deploy the new app before any migration',
      whileBoth.length ? `${list(whileBoth)} can run while both versions run` : '',
      afterOldGone.length ? `run ${list(afterOldGone)} only after the old app is gone` : 'every migration is safe for the old app',
    ].filter(Boolean);
    return { safe: true, beforeDeploy, whileBoth, afterOldGone, breaksBoth: [], summary: parts.join('; ') + '.' };
  }
  const breaksBoth = migrations(a + 1, b);
  const summary =
    breaksBoth.length === 1
      ? `No safe order: migration ${breaksBoth[0]} breaks the old app and the new app needs it, so no schema state serves both versions. Split it into expand and contract steps, or deploy with downtime.`
      : `No safe order: from ${breaksBoth[0]} on the old app fails, and the new app works only from ${breaksBoth.at(-1)} on; between them neither version works.`;
  return { safe: false, beforeDeploy: migrations(1, a), whileBoth: [], afterOldGone: migrations(b + 1, n - 1), breaksBoth, summary };
}

const list = (ids: string[]) => (ids.length > 3 ? `${ids[0]}–${ids.at(-1)}` : ids.join(', '));

function inferApps(states: string[], probes: Map<string, ProbeResult[]>): { name: string; role: AppRole }[] {
  const names: string[] = [];
  for (const state of states) for (const r of probes.get(state) ?? []) if (!names.includes(r.app)) names.push(r.app);
  return names.map((name, i) => ({ name, role: i === 0 ? 'old' : i === names.length - 1 ? 'new' : 'other' }));
}
