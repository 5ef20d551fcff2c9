import type { BudgetViolation } from '../../model/types.ts';
import type { Budget } from './types.ts';
import { fmtMs, fmtPct } from '../../format/text.ts';
import type { AppResult, QueryResult } from '../../../traffic/index.ts';
import type { Report } from '../../model/types.ts';

/**
 * maxP99Increase: an application query's p99 latency while a statement runs may not exceed its
 * baseline p99 by more than the limit (%), ignoring increases under p99IncreaseMin. The baseline is
 * the run's own baseline phase (traffic before the first migration); without one, the same query
 * in the --baseline report. With per-statement phases a query counts once per migration, naming its
 * worst statement (a lock queue raises every statement's p99 behind it: one line, not one per
 * statement); without, the whole replay is compared.
 */
export const maxP99Increase: Budget = {
  name: 'maxP99Increase',
  unit: '%',
  limit: (c) => c.maxP99IncreasePct,
  describe: (c) =>
    `no application query's p99 latency rises more than ${c.maxP99IncreasePct ?? 0} % over its baseline (increases under ${fmtMs(c.p99IncreaseMinMs)} ignored)`,
  evaluate({ report, config, baseline }) {
    const apps = report.workload?.apps ?? [];
    if (apps.length === 0) return { skipped: 'no application traffic in this run (rehearse run --workload FILE)', violations: [] };
    const pct = config.maxP99IncreasePct ?? Infinity;
    const exceeds = (ref: number, p99: number) => p99 > ref * (1 + pct / 100) && p99 - ref >= config.p99IncreaseMinMs;
    const statementOf = statementFinder(report);
    const violations: BudgetViolation[] = [];
    let compared = 0;
    for (const app of apps) {
      for (const q of app.queries) {
        const own = q.phases?.find((p) => p.phase === 'baseline' && p.count > 0 && p.p99Ms !== null)?.p99Ms ?? null;
        const prior = baselineQuery(baseline, app, q)?.p99Ms ?? null;
        const ref = own ?? prior;
        if (ref === null) continue;
        const refLabel = own !== null ? 'its baseline phase' : 'the baseline report';
        const during = (q.phases ?? []).filter((p) => p.phase.includes('#') && p.count > 0 && p.p99Ms !== null);
        if (during.length > 0) {
          compared++;
          // one violation per query and migration: its worst statement, the others counted
          const over = new Map<string, { phase: (typeof during)[number]; n: number }>();
          for (const p of during) {
            if (!exceeds(ref, p.p99Ms!)) continue;
            const mid = p.phase.slice(0, p.phase.lastIndexOf('#'));
            const w = over.get(mid);
            if (!w) over.set(mid, { phase: p, n: 1 });
            else over.set(mid, { phase: p.p99Ms! > w.phase.p99Ms! ? p : w.phase, n: w.n + 1 });
          }
          for (const [mid, { phase: p, n }] of over) {
            const st = statementOf(p.phase);
            // phases count statements from 0 ('011#1'); people, and the rest of the report, from 1
            const index = Number(p.phase.slice(p.phase.lastIndexOf('#') + 1));
            const others = n > 1 ? ` (the worst of ${n} statements of ${mid} over the limit)` : '';
            violations.push({
              migrationId: st?.migrationId ?? mid,
              statementIndex: st?.statementIndex ?? index,
              file: st?.file ?? null,
              line: st?.line ?? null,
              value: increase(ref, p.p99Ms!),
              message: `${app.name}/${q.name} p99 ${fmtMs(p.p99Ms!)} while ${mid} statement ${index + 1} ran${others}, ${fmtMs(ref)} in ${refLabel} (${fmtPct(increase(ref, p.p99Ms!))}, limit +${pct} %)`,
            });
          }
        } else if (prior !== null && q.p99Ms !== null) {
          compared++;
          if (!exceeds(prior, q.p99Ms)) continue;
          violations.push({
            migrationId: null,
            statementIndex: null,
            file: null,
            line: null,
            value: increase(prior, q.p99Ms),
            message: `${app.name}/${q.name} p99 ${fmtMs(q.p99Ms)} over the run, ${fmtMs(prior)} in the baseline report (${fmtPct(increase(prior, q.p99Ms))}, limit +${pct} %)`,
          });
        }
      }
    }
    if (compared === 0)
      return { skipped: 'no latency baseline: the workload had no baseline phase and no --baseline report has the same queries', violations: [] };
    return { violations };
  },
};

const increase = (ref: number, v: number) => (ref > 0 ? Math.round(((v - ref) / ref) * 1000) / 10 : 100_000);

function baselineQuery(baseline: Report | undefined, app: AppResult, q: QueryResult): QueryResult | undefined {
  return baseline?.workload?.apps.find((a) => a.name === app.name)?.queries.find((x) => x.name === q.name);
}

function statementFinder(report: Report) {
  return (phase: string) => {
    for (const m of report.migrations)
      for (const s of m.statements) if (`${m.id}#${s.index}` === phase) return { migrationId: m.id, statementIndex: s.index, file: s.file, line: s.line };
    return null;
  };
}
