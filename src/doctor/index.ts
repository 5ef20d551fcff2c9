/**
 * `rehearse doctor`: can this machine rehearse, with these options? Node, the dump and the client
 * tools that restore it (pg_restore/psql against its format version), Docker for the container
 * provider, the embedded binaries of the major, free disk against the dump, the postgres user when
 * running as root. Each check says ok, warn or fail (skip: not relevant here) and what to fix.
 * Exit 0 when nothing fails, 3 (infrastructure) otherwise.
 */
import { ExitCode } from '../core/errors.ts';
import { bundledMajor } from '../provision/index.ts';
import { checkClientTools } from './checks/client-tools.ts';
import { checkDisk } from './checks/disk.ts';
import { checkDocker } from './checks/docker.ts';
import { checkDump, type DumpFacts } from './checks/dump.ts';
import { checkEmbedded, embeddedLocation } from './checks/embedded.ts';
import { checkLeftovers } from './checks/leftovers.ts';
import { checkNode } from './checks/node.ts';
import { checkRoot, dataBaseDir } from './checks/root.ts';
import { checkServerMajor } from './checks/server-major.ts';
import type { Check, CheckStatus, DoctorOptions } from './types.ts';
import { DEFAULT_CONTAINER_MAJOR } from '../core/names.ts';

export type { Check, CheckStatus, DoctorOptions } from './types.ts';
export { RESTORE_FACTOR } from './checks/disk.ts';

export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [checkNode()];
  let dump: DumpFacts | null = null;
  if (options.dump) {
    const d = await checkDump(options.dump);
    checks.push(d.check);
    dump = d.facts;
  }
  const image = options.image ?? `postgres:${options.postgres ?? DEFAULT_CONTAINER_MAJOR}`;
  const target = targetMajor(options, image);
  checks.push(checkServerMajor(target.major, target.source, dump));
  checks.push(...(await checkClientTools(options, dump)));
  checks.push(...(await checkDocker(options, image)));
  checks.push(await checkEmbedded(options));
  checks.push(await checkDisk(options, dump, await dataBaseDir()));
  const major = options.postgres ?? bundledMajor();
  const binaries = Number.isInteger(major) && major >= 10 ? embeddedLocation(major).packageDir : null;
  if (binaries) checks.push(...(await checkRoot(options, binaries)));
  checks.push(await checkLeftovers(options));
  return checks;
}

function targetMajor(options: DoctorOptions, image: string): { major: number | null; source: string } {
  switch (options.provider) {
    case 'embedded':
      return options.postgres !== undefined
        ? { major: options.postgres, source: 'embedded, --postgres' }
        : { major: bundledMajor(), source: 'embedded, bundled' };
    case 'container': {
      if (options.postgres !== undefined) return { major: options.postgres, source: `container ${image}` };
      const tag = /:(\d+)(?:[.-]|$)/.exec(image)?.[1];
      return { major: tag ? Number(tag) : null, source: `container ${image}` };
    }
    case 'url':
      return { major: null, source: '--provider url' };
  }
}

/** 0 when nothing failed, 3 (infrastructure) otherwise. */
export function doctorExitCode(checks: Check[]): number {
  return checks.some((c) => c.status === 'fail') ? ExitCode.infrastructure : ExitCode.ok;
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', fail: 'FAIL', skip: '--' };
const COLOUR: Record<CheckStatus, string> = { ok: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m', skip: '\x1b[2m' };

/** One line per check, its fix indented below; a last line that sums it up. */
export function renderChecks(checks: Check[], options: { color?: boolean } = {}): string {
  const paint = (status: CheckStatus, text: string) => (options.color ? `${COLOUR[status]}${text}\x1b[0m` : text);
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = ['pg-rehearse doctor'];
  for (const c of checks) {
    lines.push(`  ${paint(c.status, LABEL[c.status].padEnd(4))}  ${c.name.padEnd(width)}  ${c.message}`);
    if (c.fix && (c.status === 'warn' || c.status === 'fail')) lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  lines.push(
    failed
      ? paint('fail', `${failed} check${failed === 1 ? '' : 's'} failed${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}`)
      : warned
        ? `ready, with ${warned} warning${warned === 1 ? '' : 's'}`
        : 'ready',
  );
  return lines.join('\n');
}
