import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/log.ts';
import { ExitCode, usageError } from '../core/errors.ts';
import { readStatsFile, requireStatements, type TrafficStatement } from '../stats/index.ts';
import { deriveWorkload, parseWorkload, workloadYaml, type DerivedWorkload } from '../traffic/index.ts';
import { newAppFlags } from './new-app.ts';
import { shown } from './options.ts';
import type { WorkloadCommandOptions } from './flags.ts';

/** `rehearse workload --from prod-stats.json --out workload.yaml`: docs/workload.md, "From production". */
export async function workloadCommand(opts: WorkloadCommandOptions): Promise<number> {
  if (!opts.from)
    throw usageError("required option '--from <prod-stats.json>' not specified", 'record one with `rehearse stats --window 60s --out prod-stats.json`');
  const { yaml, derived } = await deriveWorkloadFile(opts.from, { ...deriveFlags(opts), ...(await newAppFlags(opts)) });
  if (opts.out) {
    await writeFile(opts.out, yaml);
    process.stderr.write(`${shown(opts.out)}: ${describeDerived(derived)}\n`);
  } else {
    process.stdout.write(yaml);
  }
  return ExitCode.ok;
}

export interface DeriveFlags {
  coverage?: number;
  top?: number;
  scale?: number;
  /** the new version's statements (`rehearse capture`'s file), when given */
  newApp?: TrafficStatement[];
  /** --new-rate, and the file --new named */
  newRate?: number;
  newSource?: string;
}

/** --coverage, --top, --scale checked (exit 2 naming the flag). */
export function deriveFlags(opts: { coverage?: string | undefined; top?: string | undefined; scale?: string | undefined }): DeriveFlags {
  const num = (v: string | undefined, flag: string, ok: (n: number) => boolean, what: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) throw usageError(`${flag} ${v}: expected ${what}`);
    return n;
  };
  const coverage = num(opts.coverage, '--coverage', (n) => n > 0 && n <= 1, 'a share of calls above 0 and at most 1 (0.95)');
  const top = num(opts.top, '--top', (n) => Number.isInteger(n) && n >= 1, 'a whole number of statements, at least 1');
  const scale = num(opts.scale, '--scale', (n) => n > 0, 'a factor above 0 (2 doubles every rate)');
  return { ...(coverage !== undefined ? { coverage } : {}), ...(top !== undefined ? { top } : {}), ...(scale !== undefined ? { scale } : {}) };
}

/**
 * Read a statistics file, derive the workload and its YAML (checked by the workload reader, so what
 * is written is what a run reads). A file without statements is a usage error naming `rehearse
 * stats --window`.
 */
export async function deriveWorkloadFile(from: string, flags: DeriveFlags = {}): Promise<{ yaml: string; derived: DerivedWorkload }> {
  const stats = await readStatsFile(from);
  requireStatements(stats, from);
  const derived = await deriveWorkload(stats, { ...flags, source: from });
  if (derived.apps.every((a) => a.queries.length === 0))
    throw usageError(
      `${from}: none of its statements could be bound (${derived.skipped.map((s) => s.reason).join('; ')})`,
      'write the workload by hand (docs/workload.md), starting from the statements the stats file lists',
    );
  const yaml = workloadYaml(derived);
  parseWorkload(yaml, 'the derived workload');
  return { yaml, derived };
}

export function describeDerived(d: DerivedWorkload): string {
  const queries = d.apps.flatMap((a) => a.queries);
  const rate = queries.reduce((s, q) => s + q.rate, 0);
  return (
    `${queries.length} ${queries.length === 1 ? 'query' : 'queries'} at ${Math.round(rate * 10) / 10} executions/s in all` +
    `, ${d.background.length} background transaction${d.background.length === 1 ? '' : 's'}` +
    (d.skipped.length ? `, ${d.skipped.length} statement${d.skipped.length === 1 ? '' : 's'} not bound (listed at the end of the file with the reason)` : '')
  );
}

/** The file `rehearse run --workload-from` writes beside the report. */
export const DERIVED_WORKLOAD_FILE = 'workload.derived.yaml';

/** `rehearse run --workload-from`: derive, write `<outDir>/workload.derived.yaml`, return its path. */
export async function writeDerivedWorkload(from: string, outDir: string, log: Logger): Promise<string> {
  const { yaml, derived } = await deriveWorkloadFile(from);
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, DERIVED_WORKLOAD_FILE);
  await writeFile(file, yaml);
  log.info(`workload derived from ${from}: ${shown(file)}: ${describeDerived(derived)}`);
  return file;
}
