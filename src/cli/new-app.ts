import { usageError } from '../core/errors.ts';
import { readStatsFile, type TrafficStatement } from '../stats/index.ts';

/** `rehearse workload --new new-app.json [--new-rate n]`: the new version's statements (rehearse capture's file), checked (exit 2 naming the file or flag). */
export async function newAppFlags(opts: {
  new?: string | undefined;
  newRate?: string | undefined;
}): Promise<{ newApp?: TrafficStatement[]; newRate?: number; newSource?: string }> {
  if (opts.new === undefined) {
    if (opts.newRate !== undefined) throw usageError('--new-rate applies to --new', 'rehearse workload --from prod-stats.json --new new-app.json --new-rate 5');
    return {};
  }
  let newRate: number | undefined;
  if (opts.newRate !== undefined) {
    newRate = Number(opts.newRate);
    if (!Number.isFinite(newRate) || newRate <= 0 || newRate > 100_000)
      throw usageError(`--new-rate ${opts.newRate}: expected executions per second above 0 (at most 100000)`, 'e.g. --new-rate 5');
  }
  const file = await readStatsFile(opts.new);
  const statements = file.traffic?.statements ?? [];
  if (statements.length === 0)
    throw usageError(
      `${opts.new} holds no statements`,
      "record the new version's with `rehearse capture --out new-app.json --migrations DIR -- <its test command>`",
    );
  return { newApp: statements, ...(newRate !== undefined ? { newRate } : {}), newSource: opts.new };
}
