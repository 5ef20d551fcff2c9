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
  /** fails only with prepared statements that pass on a fresh connection (heal when the app reconnects) */
  const healable = (app: string, i: number) => {
    const mine = probes.get(states[i]!)?.filter((r) => r.app === app) ?? [];
    return !passes(app, i) && mine.length > 0 && mine.every((r) => r.ok || r.healsOnReconnect === true);
  };
  const passesOnceReprepared = (app: string, i: number) => passes(app, i) || healable(app, i);

  const old = appList.find((a) => a.role === 'old') ?? appList[0];
  const neu = appList.find((a) => a.role === 'new') ?? (appList.length > 1 ? appList.at(-1) : undefined);
  const lastOk = (app: string, ok: (app: string, i: number) => boolean) => {
    let a = -1;
    while (a + 1 < states.length && ok(app, a + 1)) a++;
    return a;
  };
  const firstOk = (app: string, ok: (app: string, i: number) => boolean) => {
    let b = states.length;
    while (b - 1 >= 0 && ok(app, b - 1)) b--;
    return b;
  };
  const a = old ? lastOk(old.name, passes) : -1;
  const b = neu ? firstOk(neu.name, passes) : states.length;

  let plan: Rollout | null = null;
  if (old && neu && old !== neu) {
    // the order of the rollout assumes connections are re-prepared where that heals them; the advice says so
    plan = rollout(states, lastOk(old.name, passesOnceReprepared), firstOk(neu.name, passesOnceReprepared));
    const reprepare = [old, neu].flatMap((app) => reprepareAdvice(app, states, cells, healable));
    if (reprepare.length) plan.summary += ` ${reprepare.join(' ')}`;
  }
  return {
    states: [...states],
    apps: appList,
    cells,
    oldAppLastState: old && a >= 0 ? states[a]! : null,
    newAppFirstState: neu && b < states.length ? states[b]! : null,
    rollout: plan,
  };
}

/** 'Restart or re-prepare the old app's connections after 007: …' for each migration from which the
 *  app's prepared statements fail until re-prepared (the first state of each run of such failures). */
function reprepareAdvice(
  app: { name: string; role: AppRole },
  states: string[],
  cells: CompatibilityCell[],
  healable: (app: string, i: number) => boolean,
): string[] {
  const out: string[] = [];
  const who = app.role === 'old' ? 'the old app' : app.role === 'new' ? 'the new app' : `app ${app.name}`;
  for (let i = 1; i < states.length; i++) {
    if (!healable(app.name, i) || healable(app.name, i - 1)) continue;
    const failures = cells.find((c) => c.state === states[i] && c.app === app.name)?.failures ?? [];
    const codes = [...new Set(failures.map((f) => f.sqlstate))].join(', ');
    const first = failures[0];
    out.push(
      `Restart or re-prepare ${who}'s connections after ${states[i]}: its prepared statements fail with ${codes}${first ? ` (${first.message})` : ''} until its connections prepare them again (a pool's connection lifetime does it in time).`,
    );
  }
  return out;
}

/** a: last state index the old app passes (prefix); b: first state index the new app passes (suffix). */
function rollout(states: string[], a: number, b: number): Rollout {
  const migrations = (from: number, to: number) => states.slice(Math.max(1, from), Math.max(1, to + 1));
  const n = states.length;
  const empty = { beforeDeploy: [], whileBoth: [], afterOldGone: [], breaksBoth: [] };
  if (a < 0)
    return {
      safe: false,
      ...empty,
      summary: `The old app already fails at ${states[0] ?? 'the initial state'}, before any migration: check the workload against the starting schema.`,
    };
  if (b >= n)
    return {
      safe: false,
      ...empty,
      summary: `The new app does not pass at ${states[n - 1] ?? 'the last state'}, after every migration: no rollout makes it work.`,
    };
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
