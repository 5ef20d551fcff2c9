import { loadSqlParser, type ActivityProfile, type StatsFile, type TrafficStatement } from '../../stats/index.ts';
import { bindStatement } from './bind.ts';
import { deriveNewApp } from './new-app.ts';
import type { DerivedApp, DerivedBackground, DerivedQuery, DeriveOptions, DerivedWorkload, SkippedStatement } from './types.ts';

/**
 * A workload from a statistics file's traffic section: app `old` is production — its commonest
 * statements (until they make `coverage` of the calls, at most `top`), each at its production rate
 * × `scale`, on as many clients as production had connections; background transactions from the
 * longest transactions seen open, on the tables they touched. A statement that cannot be bound is
 * listed with the reason. Pure data in and out (the YAML is written by `workloadYaml`).
 */
export async function deriveWorkload(stats: StatsFile, options: DeriveOptions = {}): Promise<DerivedWorkload> {
  await loadSqlParser();
  const statements = stats.traffic?.statements ?? [];
  const coverage = options.coverage ?? 0.95;
  const scale = options.scale ?? 1;
  const maxClients = options.maxClients ?? 100;
  const traffic = stats.traffic;
  const windowS = (traffic?.windowMs ?? 0) / 1000;

  const sorted = [...statements].sort((a, b) => b.calls - a.calls || a.queryid.localeCompare(b.queryid));
  const totalCalls = sorted.reduce((s, x) => s + x.calls, 0);
  const chosen = chooseStatements(sorted, coverage, options.top);
  const leftOut = sorted.slice(chosen.length);
  const leftOutCalls = leftOut.reduce((s, x) => s + x.calls, 0);

  const queries: DerivedQuery[] = [];
  const skipped: SkippedStatement[] = [];
  const names = new Set<string>();
  for (const s of chosen) {
    const binding = bindStatement(s, stats.tables);
    if ('reason' in binding) {
      skipped.push({ queryid: s.queryid, text: s.text, callsPerSec: s.callsPerSec, reason: binding.reason });
      continue;
    }
    const name = queryName(queries.length + skipped.length + 1, s, names);
    const rate = rateOf(s.callsPerSec * scale);
    queries.push({
      name,
      sql: binding.sql,
      params: binding.params,
      rate,
      queryid: s.queryid,
      basis: [
        `queryid ${s.queryid}: ${fmt(s.callsPerSec)} calls/s in production${scale !== 1 ? ` (× ${scale})` : ''}, ${fmt(s.rowsPerCall)} rows/call, ${fmt(s.meanMs)} ms mean` +
          (s.roles?.length ? `; roles ${s.roles.join(', ')}` : '') +
          (s.applications?.length ? `; sent by ${s.applications.join(', ')}` : ''),
        ...binding.notes,
      ],
    });
  }

  const old: DerivedApp = { name: 'old', role: 'old', ...clientsOf(traffic?.activity, queries, chosen, scale, maxClients), queries };
  const summary = [
    `Derived by \`rehearse workload --from ${options.source ?? 'the statistics file'}\` (docs/workload.md, "From production"): edit freely.`,
    `Production's window: ${fmt(windowS)} s${traffic?.startedAt ? ` from ${traffic.startedAt}` : ''}; ${sorted.length} statements, ${fmt(totalCalls / Math.max(windowS, 1e-9))} calls/s.`,
    `Kept: the ${chosen.length} commonest, ${pct(totalCalls - leftOutCalls, totalCalls)} of calls (coverage ${coverage}${options.top ? `, top ${options.top}` : ''}); rates × ${scale}.`,
    ...(leftOut.length
      ? [`Left out below the coverage: ${leftOut.length} statement${leftOut.length === 1 ? '' : 's'}, ${pct(leftOutCalls, totalCalls)} of calls.`]
      : []),
    ...(skipped.length
      ? [
          `Not bound: ${skipped.length} statement${skipped.length === 1 ? '' : 's'}, ${pct(
            skipped.reduce((s, x) => s + x.callsPerSec, 0),
            totalCalls / Math.max(windowS, 1e-9),
          )} of calls: listed at the end with the reason.`,
        ]
      : []),
  ];
  // --new: the new version's captured statements, each at the rate of the production statement it matches (new-app.ts)
  const neu = options.newApp
    ? deriveNewApp(statements, options.newApp, stats.tables, {
        scale,
        clients: old.clients,
        ...(options.newRate !== undefined ? { defaultRate: options.newRate } : {}),
        ...(options.newSource ? { source: options.newSource } : {}),
      })
    : null;
  return {
    apps: neu ? [old, neu.app] : [old],
    background: backgroundOf(traffic?.activity, stats),
    skipped: [...skipped, ...(neu?.skipped ?? [])],
    summary: neu ? [...summary, neu.summary] : summary,
  };
}

/** The commonest statements until they make `coverage` of the calls (at least one), at most `top`. */
export function chooseStatements(sorted: TrafficStatement[], coverage: number, top?: number): TrafficStatement[] {
  const total = sorted.reduce((s, x) => s + x.calls, 0);
  const out: TrafficStatement[] = [];
  let sum = 0;
  for (const s of sorted) {
    if (top !== undefined && out.length >= top) break;
    if (out.length > 0 && sum >= coverage * total) break;
    out.push(s);
    sum += s.calls;
  }
  return out;
}

function clientsOf(
  activity: ActivityProfile | undefined,
  queries: DerivedQuery[],
  statements: TrafficStatement[],
  scale: number,
  maxClients: number,
): { clients: number; clientsBasis: string } {
  const cap = (n: number) => Math.max(1, Math.min(maxClients, Math.round(n)));
  if (activity && activity.maxConnections > 0) {
    const n = cap(activity.maxConnections * Math.max(1, scale));
    return {
      clients: n,
      clientsBasis: `the most connections production had open at once: ${activity.maxConnections}${scale > 1 ? ` × ${scale}` : ''}${n !== Math.round(activity.maxConnections * Math.max(1, scale)) ? ` (capped at ${maxClients})` : ''}`,
    };
  }
  // Little's law: busy connections = rate × time per call; twice that, at least 2
  const busy = queries.reduce((s, q) => s + (q.rate * (statements.find((x) => x.queryid === q.queryid)?.meanMs ?? 1)) / 1000, 0);
  return {
    clients: cap(Math.max(2, 2 * busy)),
    clientsBasis: `no connection counts in the file: twice the busy connections the rates × mean times make (${fmt(busy)})`,
  };
}

/** The longest transactions seen open (≥ 1 s, with tables): each held open as long, on those tables. */
function backgroundOf(activity: ActivityProfile | undefined, stats: StatsFile): DerivedBackground[] {
  const out: DerivedBackground[] = [];
  const seen = new Set<string>();
  for (const t of activity?.longest ?? []) {
    if (t.openMs < 1000 || t.tables.length === 0) continue;
    const key = t.tables.join(',');
    if (seen.has(key) || out.length >= 3) continue;
    seen.add(key);
    const tables = t.tables.filter((x) => stats.tables[x] || !Object.keys(stats.tables).length);
    if (!tables.length) continue;
    out.push({
      name: `long_transaction_${out.length + 1}`,
      app: 'old',
      at: '0s',
      steps: [...tables.map((x) => `SELECT 1 FROM ${quoteTable(x)} LIMIT 1`), `SELECT pg_sleep(${fmt(t.openMs / 1000)})`],
      basis:
        `a transaction of ${t.application ? `"${t.application}"` : 'an unnamed application'} seen open ${fmt(t.openMs / 1000)} s` +
        (t.idleInTransactionMs ? ` (idle in transaction up to ${fmt(t.idleInTransactionMs / 1000)} s)` : '') +
        ` on ${tables.join(', ')}: held as long here (at least that long in production: the window may have cut it)`,
    });
  }
  return out;
}

const IDENT = /^[a-z_][a-z0-9_$]*$/;
const quoteIdent = (s: string) => (IDENT.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
export const quoteTable = (qualified: string): string => {
  const dot = qualified.indexOf('.');
  const [schema, name] = dot < 0 ? ['public', qualified] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
  return schema === 'public' ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
};

function queryName(rank: number, s: TrafficStatement, names: Set<string>): string {
  const table = (s.tables?.[0] ?? '').replace(/^public\./, '').replace(/[^A-Za-z0-9_]/g, '_');
  const base = `q${String(rank).padStart(2, '0')}_${(s.command ?? 'query').toLowerCase()}${table ? `_${table}` : ''}`.slice(0, 40);
  let name = base;
  for (let i = 2; names.has(name); i++) name = `${base}_${i}`;
  names.add(name);
  return name;
}

/** A rate the workload file takes: positive, at most 100,000/s, three decimals. */
const rateOf = (r: number) => Math.min(100_000, Math.max(0.001, Math.round(r * 1000) / 1000));
const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : Number(n.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 3 }));
const pct = (part: number, total: number) => `${total > 0 ? ((100 * part) / total).toFixed(1) : '0.0'} %`;
