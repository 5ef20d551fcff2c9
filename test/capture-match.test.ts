import { beforeAll, describe, expect, it } from 'vitest';
import type { StatsFile, TrafficStatement } from '../src/stats/index.ts';
import { loadSqlParser } from '../src/stats/statement-text.ts';
import { DEFAULT_NEW_RATE, matchNewStatements } from '../src/traffic/derive/new-app.ts';
import { deriveWorkload, parseWorkload, workloadYaml } from '../src/traffic/index.ts';

/** The --new matching of rehearse workload: which production statement's rate a captured statement takes. */
const stmt = (queryid: string, text: string, command: string, tables: string[], callsPerSec = 0): TrafficStatement => ({
  queryid,
  text,
  command,
  calls: Math.round(callsPerSec * 10),
  callsPerSec,
  rowsPerCall: 1,
  meanMs: 0.1,
  tables,
});

const production = [
  stmt('11', 'SELECT id, name FROM accounts WHERE id = $1', 'SELECT', ['public.accounts'], 100),
  stmt('12', 'SELECT id FROM accounts WHERE name = $1', 'SELECT', ['public.accounts'], 20),
  stmt('13', 'UPDATE accounts SET name = $1 WHERE id = $2', 'UPDATE', ['public.accounts'], 5),
  stmt('14', 'SELECT o.id FROM orders o JOIN accounts a ON a.id = o.account_id WHERE a.id = $1', 'SELECT', ['public.accounts', 'public.orders'], 7),
  stmt('15', 'SELECT count(*) FROM orders WHERE status = $1', 'SELECT', ['public.orders'], 3),
];

beforeAll(() => loadSqlParser());

describe('matchNewStatements', () => {
  it('matches by queryid, fingerprint, shape and tables, in that order; the rest get the default rate', () => {
    const captured = [
      stmt('13', 'UPDATE accounts SET name = $1 WHERE id = $2', 'UPDATE', ['public.accounts']),
      stmt('99', 'select id,name from accounts where id=$3', 'SELECT', ['public.accounts']),
      stmt('98', 'SELECT id, name, email FROM accounts WHERE id = $1', 'SELECT', ['public.accounts']),
      stmt('97', 'SELECT sum(total) FROM orders WHERE created_at > $1', 'SELECT', ['public.orders']),
      stmt('96', 'INSERT INTO audit (what) VALUES ($1)', 'INSERT', ['public.audit']),
    ];
    const rated = matchNewStatements(production, captured);
    expect(rated.map((r) => [r.match?.kind ?? null, r.match?.queryid ?? null, r.rate])).toEqual([
      ['queryid', '13', 5],
      ['statement', '11', 100],
      ['shape', '11', 100],
      ['tables', '15', 3],
      [null, null, DEFAULT_NEW_RATE],
    ]);
    expect(rated[2]!.basis).toBe("new: the same statement but for the columns it reads or writes as production's queryid 11: its rate, 100/s");
    expect(rated[4]!.basis).toMatch(/no production statement matches .*default rate, 1\/s/);
  });

  it('takes the busiest of several candidates and says how many there were; a stated default rate', () => {
    const rated = matchNewStatements(production, [stmt('95', 'SELECT name FROM accounts WHERE created_at < $1', 'SELECT', ['public.accounts'])], {
      defaultRate: 0.5,
    });
    expect(rated[0]!.match).toMatchObject({ kind: 'tables', queryid: '11', candidates: 2 });
    expect(rated[0]!.basis).toContain('the busiest of 2');
    const none = matchNewStatements(production, [stmt('94', 'DELETE FROM sessions WHERE id = $1', 'DELETE', ['public.sessions'])], { defaultRate: 0.5 });
    expect(none[0]!.rate).toBe(0.5);
  });
});

describe('deriveWorkload with the new version (workload --new)', () => {
  it('writes app new beside old, each query at its matched rate or the default, the YAML saying which', async () => {
    const stats: StatsFile = {
      tables: { 'public.accounts': { rows: 1000, columns: { id: { nDistinct: -1 }, name: { nDistinct: -1 } }, columnTypes: { id: 'integer', name: 'text' } } },
      traffic: { windowMs: 10_000, statements: production.slice(0, 3) },
    };
    const captured = [
      stmt('98', 'SELECT id, name, email FROM accounts WHERE id = $1', 'SELECT', ['public.accounts']),
      stmt('96', 'SELECT count(*) FROM audit', 'SELECT', ['public.audit']),
    ];
    const derived = await deriveWorkload(stats, { newApp: captured, newRate: 2, newSource: 'new-app.json', scale: 2 });
    const neu = derived.apps.find((a) => a.name === 'new')!;
    expect(neu.role).toBe('new');
    expect(neu.queries.map((q) => [q.sql, q.rate])).toEqual([
      ['SELECT id, name, email FROM accounts WHERE id = $1', 200],
      ['SELECT count(*) FROM audit', 4],
    ]);
    const yaml = workloadYaml(derived);
    expect(yaml).toContain("# new: the same statement but for the columns it reads or writes as production's queryid 11: its rate, 100/s (× 2)");
    expect(yaml).toMatch(/App new: the 2 statements of new-app.json .*1 at the production rate .*\(1 by shape\), 1 new at the default 2\/s/);
    const workload = parseWorkload(yaml, 'derived.yaml');
    expect(workload.apps.map((a) => [a.name, a.role])).toEqual([
      ['old', 'old'],
      ['new', 'new'],
    ]);
  });
});
