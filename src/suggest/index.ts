import path from 'node:path';
import type { RehearsalPlan } from '../config/index.ts';
import { SUGGESTED_LOCK_TIMEOUT, writeFormats, type Finding, type OutputFormat, type Report } from '../report/index.ts';
import { parseDuration } from '../core/duration.ts';
import type { Logger } from '../core/log.ts';
import { suggestionFailure } from './failure.ts';
import { suggestionFigures } from './figures.ts';
import { placeOutsideTransactions } from './placement.ts';
import { writeSuggestedFolder } from './rewrite.ts';
import type { Suggestion } from './types.ts';

export type { Suggestion, SuggestionFigures, SuggestedRewrite } from './types.ts';
export { suggestionFigures } from './figures.ts';

export type Rehearse = (plan: RehearsalPlan, log: Logger, argv?: string[]) => Promise<{ report: Report; exitCode: number }>;

/**
 * --suggest: write the mechanical rewrites of the findings to <out>/suggested/<folder> (the
 * original layout), rehearse them with the same plan — same dataset, same workload, a fresh server
 * — write that run's report to <out>/suggested/, and compare: before vs after. The same plan means
 * the same snapshot key (src/snapshot): when the run cloned a snapshot of its dataset or saved one,
 * the suggestion starts from a clone of it; else the dataset is loaded again. Null when no finding
 * is mechanical (or the run replayed no folder).
 */
export async function rehearseSuggestion(
  plan: RehearsalPlan,
  report: Report,
  outDir: string,
  log: Logger,
  rehearse: Rehearse,
  formats: OutputFormat[] = ['json'],
  /** budgets and verdict for the suggested run's own report (the CLI passes the run's budgets) */
  finalize?: (report: Report) => void,
): Promise<Suggestion | null> {
  const folder = plan.migrations.folder;
  const findings = (report.findings ?? []).filter((f) => f.mechanical);
  if (!folder || plan.migrateCommand || findings.length === 0) return null;
  const dir = path.join(outDir, 'suggested');
  const target = path.join(dir, path.basename(path.resolve(folder)));
  const sqlOf = (f: Finding) => report.migrations.find((m) => m.id === f.migrationId)?.statements[f.statementIndex ?? -1]?.sql ?? '';
  const written = await writeSuggestedFolder(folder, target, findings, sqlOf);
  if (written.length === 0) return null;
  // in the tool's own terms: what cannot run in a transaction block gets a migration of its own
  const { placed, renamed } = await placeOutsideTransactions(
    report.migrationSource?.format ?? null,
    written.map((r) => r.suggestedFile),
  );
  const rewrites = written.map((r) => ({ ...r, suggestedFile: renamed.get(r.suggestedFile) ?? r.suggestedFile }));
  for (const p of placed)
    log.info(`--suggest: ${path.relative(target, p.file)} holds a step of ${path.relative(target, p.from)}${p.outside ? ', run outside a transaction' : ''}`);
  log.info(
    `--suggest: ${rewrites.length} rewrite${rewrites.length === 1 ? '' : 's'} in ${target}; rehearsing them on the same dataset${plan.traffic ? ' and workload' : ''} (${datasetSource(report)})`,
  );

  // a DDL that waited in the lock queue is rehearsed with the lock_timeout it now sets, and retries
  const queue = rewrites.some((r) => r.rule === 'ddl-waited-in-lock-queue');
  const timeouts = queue
    ? {
        ...plan.timeouts,
        lockTimeoutMs: parseDuration(SUGGESTED_LOCK_TIMEOUT)!,
        retries: plan.timeouts.retries ?? 20,
        retryBackoffMs: plan.timeouts.retryBackoffMs ?? 500,
      }
    : plan.timeouts;
  const suggestedPlan: RehearsalPlan = {
    ...plan,
    migrations: { ...plan.migrations, folder: target },
    inspect: { rollback: false, checkDrift: false },
    timeouts,
    outDir: dir,
  };
  const { report: after } = await rehearse(suggestedPlan, log, ['run', '--migrations', target, '(--suggest)']);
  after.output = { dir, formats };
  finalize?.(after);
  await writeFormats(after, dir, formats);
  const applied = findings.filter((f) => rewrites.some((r) => r.rule === f.rule && r.migrationId === f.migrationId && r.statementIndex === f.statementIndex));
  const contract = contractSteps(applied);
  const failure = await suggestionFailure(after, rewrites, plan.traffic?.workload ?? null, new Map(placed.map((p) => [p.file, p.from])));
  if (failure)
    log.warn(`--suggest: the rehearsal of the rewrites failed at ${failure.file ?? '?'}:${failure.line ?? '?'}: ${failure.sqlstate} ${failure.message}`);
  const figures = suggestionFigures(after);
  return {
    ...(failure ? { failure } : {}),
    folder: target,
    rewrites,
    ...(placed.length ? { placed } : {}),
    status: after.run.status,
    report: path.join(dir, 'report.json'),
    lockTimeoutMs: timeouts.lockTimeoutMs ?? null,
    retries: timeouts.retries ?? null,
    sameSchema: sameSchemaChange(report, after, contract),
    ...(contract.length ? { contractSteps: contract } : {}),
    before: suggestionFigures(report),
    after: failure ? { ...figures, partial: true } : figures,
  };
}

/** Where the suggestion's dataset comes from: the snapshot the run cloned or saved, or a second load. */
function datasetSource(report: Report): string {
  const snap = report.dataset?.snapshot;
  if (snap && (snap.hit || snap.createdAt)) return `a clone of snapshot ${snap.key}`;
  if (report.dataset?.source.kind === 'none') return 'no dataset to load';
  if (snap) return 'loaded again: this run kept no snapshot of it; --cache keeps one';
  return 'loaded again';
}

/**
 * The contract step's SQL of the rewrites (`-- contract step, …: DROP TRIGGER …`): what a rewrite
 * leaves in place on purpose until every app writes the new column (a fill trigger and its
 * function, a column DEFAULT).
 */
export function contractSteps(findings: Finding[]): string[] {
  return findings.flatMap((f) => (f.suggestedSql ?? '').split('\n').flatMap((l) => /^-- contract step[^:]*: (.+)$/.exec(l)?.[1] ?? []));
}

function leftovers(contract: string[]): { triggers: string[]; functions: string[]; columns: string[] } {
  const all = contract.join(' ');
  const strip = (n: string) => n.replace(/"/g, '');
  return {
    triggers: [...all.matchAll(/DROP TRIGGER (\S+) ON/g)].map((m) => strip(m[1]!)),
    functions: [...all.matchAll(/DROP FUNCTION (\S+?)\(/g)].map((m) => strip(m[1]!)),
    columns: [...all.matchAll(/ALTER TABLE (\S+) ALTER COLUMN (\S+) DROP DEFAULT/g)].map((m) => `${strip(m[1]!).replace(/^public\./, '')}.${strip(m[2]!)}`),
  };
}

/**
 * Both runs start from the same dataset, so the same schema change (added, removed, changed objects
 * and their definitions; column order aside) means the same final schema.
 */
export function sameSchemaChange(a: Report, b: Report, contract: string[] = []): boolean {
  if (!a.schemaDiff || !b.schemaDiff) return false;
  const left = leftovers(contract);
  const kept = (key: string) =>
    left.triggers.some((t) => key.startsWith('trigger:') && key.endsWith(`.${t}`)) ||
    left.functions.some((f) => key.startsWith('function:') && key.includes(`.${f}(`));
  const defaulted = (key: string) => left.columns.some((c) => key.startsWith('column:') && key.endsWith(`.${c}`));
  const bd: NonNullable<Report['schemaDiff']> = {
    ...b.schemaDiff,
    added: b.schemaDiff.added
      .filter((o) => !kept(o.object))
      .map((o) => (defaulted(o.object) ? { ...o, definition: a.schemaDiff!.added.find((x) => x.object === o.object)?.definition ?? o.definition } : o)),
    changed: b.schemaDiff.changed.filter((c) => !(defaulted(c.object) && c.attribute === 'default')),
  };
  const key = (d: NonNullable<Report['schemaDiff']>) =>
    JSON.stringify([
      d.added.map((o) => [o.object, o.definition ?? null]).sort(),
      d.removed.map((o) => [o.object, o.definition ?? null]).sort(),
      d.changed.map((c) => [c.object, c.attribute, c.before, c.after]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    ]);
  return key(a.schemaDiff) === key(bd);
}
