import { describe, expect, it } from 'vitest';
import { compatibilityMatrix } from '../src/traffic/index.ts';
import type { ProbeResult } from '../src/traffic/index.ts';

const ok = (app: string, query = 'q'): ProbeResult => ({ app, query, ok: true, ms: 1 });
const bad = (app: string, query = 'q', sqlstate = '42703'): ProbeResult => ({
  app,
  query,
  ok: false,
  sqlstate,
  message: 'column "total" does not exist',
  ms: 1,
});
const apps = [
  { name: 'old', role: 'old' as const },
  { name: 'new', role: 'new' as const },
];

/** states with which app passes: 'on' both, 'o-' old only, '-n' new only, '--' neither */
function matrix(pattern: string[]) {
  const states = pattern.map((_, i) => (i === 0 ? 'initial' : String(i).padStart(3, '0')));
  const probes = new Map(states.map((s, i) => [s, [pattern[i]![0] === 'o' ? ok('old') : bad('old'), pattern[i]![1] === 'n' ? ok('new') : bad('new')]]));
  return compatibilityMatrix(states, probes, apps);
}

describe('compatibilityMatrix', () => {
  it('expand/contract: a window where both work gives a safe rollout', () => {
    const m = matrix(['o-', 'o-', 'on', 'on', '-n']);
    expect(m.oldAppLastState).toBe('003');
    expect(m.newAppFirstState).toBe('002');
    expect(m.rollout).toMatchObject({ safe: true, beforeDeploy: ['001', '002'], whileBoth: ['003'], afterOldGone: ['004'], breaksBoth: [] });
    expect(m.rollout!.summary).toBe('Run 001, 002 before deploying the new app; 003 can run while both versions run; run 004 only after the old app is gone.');
    expect(m.cells).toHaveLength(10);
    expect(m.cells.find((c) => c.state === '004' && c.app === 'old')).toEqual({
      state: '004',
      app: 'old',
      ok: false,
      failures: [{ query: 'q', sqlstate: '42703', message: 'column "total" does not exist' }],
    });
  });

  it('a naive rename: one migration breaks the old app and the new one needs it', () => {
    const m = matrix(['o-', '-n']);
    expect(m.oldAppLastState).toBe('initial');
    expect(m.newAppFirstState).toBe('001');
    expect(m.rollout).toMatchObject({ safe: false, breaksBoth: ['001'] });
    expect(m.rollout!.summary).toMatch(/migration 001 breaks the old app and the new app needs it/);
  });

  it('a gap where neither works; the old app failing from the start; the new app never working', () => {
    expect(matrix(['o-', '--', '-n']).rollout).toMatchObject({ safe: false, breaksBoth: ['001', '002'] });
    expect(matrix(['-n', '-n']).oldAppLastState).toBeNull();
    expect(matrix(['-n', '-n']).rollout!.safe).toBe(false);
    const never = matrix(['o-', 'o-']);
    expect(never.newAppFirstState).toBeNull();
    expect(never.rollout!.summary).toMatch(/new app does not pass/);
  });

  it('without roles: the first app is old and the last new; a missing state fails for every app', () => {
    const probes = new Map([['initial', [ok('v1'), ok('v2'), bad('v2', 'q2', 'EXPECT')]]]);
    const m = compatibilityMatrix(['initial', '001'], probes);
    expect(m.apps).toEqual([
      { name: 'v1', role: 'old' },
      { name: 'v2', role: 'new' },
    ]);
    expect(m.cells.find((c) => c.app === 'v2' && c.state === 'initial')!.failures[0]!.sqlstate).toBe('EXPECT');
    expect(m.cells.find((c) => c.app === 'v1' && c.state === '001')!.failures[0]!.sqlstate).toBe('NOPROBE');
    expect(m.oldAppLastState).toBe('initial');
  });
});
