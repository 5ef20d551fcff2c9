import { readIfThere } from './folder.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/errors.ts';
import type { Layout, MigrationSource, ScriptSource } from './layouts.ts';

/**
 * A sqitch project (sqitch's pg engine, `sqitch.plan` format 1.0.0): the plan lists the changes in
 * deploy order; each change has `deploy/<change>.sql`, and optionally `revert/<change>.sql` and
 * `verify/<change>.sql`. sqitch runs each script with psql (so `COPY … FROM stdin` rows and some
 * meta-commands are allowed; see docs/migration-formats.md) and does not wrap it in a transaction:
 * the scripts carry their own `BEGIN; … COMMIT;` (sqitch's templates write them).
 *
 * A change that is reworked appears twice in the plan; the earlier one's scripts are
 * `<change>@<tag>.sql`, the tag being the first one after it in the plan.
 *
 * The registry (schema `sqitch`) records deployed changes in `sqitch.changes` (change, project).
 * pg-rehearse's id for a change is its position in the plan (1, 2, …; `--from 12` = the first 12).
 */

export const SQITCH_PLAN = 'sqitch.plan';
export const SQITCH_CHANGES = 'sqitch.changes';

export interface PlanChange {
  name: string;
  /** 1-based line in sqitch.plan */
  line: number;
  /** the tag whose files hold this (reworked) change's scripts, when it is not the last occurrence */
  tag?: string;
}

export interface Plan {
  project: string;
  changes: PlanChange[];
}

/** Parses sqitch.plan: pragmas (`%project=`), changes, tags (`@tag`), blank and `#` lines. */
export function parsePlan(text: string, file: string): Plan {
  let project = '';
  const changes: PlanChange[] = [];
  const pendingTag: PlanChange[] = [];
  const lines = text.split('\n');
  const names = new Map<string, PlanChange[]>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('%')) {
      const m = /^%\s*project\s*=\s*(\S+)/.exec(line);
      if (m) project = m[1]!;
      continue;
    }
    if (line.startsWith('@')) {
      const tag = /^@(\S+)/.exec(line)![1]!;
      for (const c of pendingTag.splice(0)) c.tag = tag;
      continue;
    }
    const m = /^([+-]?)([^\s[\]@#:]+)(\s|$)/.exec(line);
    if (!m) throw usageError(`${file}:${i + 1}: cannot read this plan line`, 'a change line is: <name> [deps] <timestamp> <planner> <<email>> # note');
    if (m[1] === '-')
      throw usageError(
        `${file}:${i + 1}: "-${m[2]}" reverts a change in the plan; pg-rehearse replays deploys only`,
        'pass --migrate-command "sqitch deploy" to run sqitch itself',
      );
    const change: PlanChange = { name: m[2]!, line: i + 1 };
    names.set(change.name, [...(names.get(change.name) ?? []), change]);
    changes.push(change);
    pendingTag.push(change);
  }
  if (!project) throw usageError(`${file} has no %project pragma`, 'sqitch init writes one: %project=<name>');
  // every change got the first tag after it; only an earlier occurrence of a reworked change keeps it
  for (const [name, occurrences] of names) {
    for (const o of occurrences.slice(0, -1)) {
      if (!o.tag)
        throw usageError(
          `${file}:${o.line}: change ${name} is reworked later but no tag follows it`,
          'sqitch rework needs a tag between the two versions of a change',
        );
    }
    const last = occurrences.at(-1)!;
    delete last.tag;
  }
  return { project, changes };
}

export async function readSqitch(folder: string): Promise<Layout & { project: string }> {
  const planFile = path.join(folder, SQITCH_PLAN);
  const plan = parsePlan((await readFile(planFile, 'utf8')).replace(/^\uFEFF/, ''), planFile);
  if (plan.changes.length === 0) throw usageError(`${planFile} lists no changes`, 'add a change with sqitch add');
  const width = String(plan.changes.length).length;
  const sources: MigrationSource[] = [];
  for (const [i, change] of plan.changes.entries()) {
    const base = change.tag ? `${change.name}@${change.tag}.sql` : `${change.name}.sql`;
    const script = async (dir: string): Promise<ScriptSource | undefined> => {
      const file = path.join(folder, dir, base);
      const text = await readIfThere(file);
      return text === undefined ? undefined : { file, text, lineOffset: 0, inTransaction: false };
    };
    const deploy = await script('deploy');
    if (!deploy) {
      throw usageError(
        `${planFile}:${change.line} names change ${change.name}, but ${path.join(folder, 'deploy', base)} does not exist`,
        'add the deploy script (sqitch add writes it) or remove the change from the plan',
      );
    }
    const revert = await script('revert');
    const verify = await script('verify');
    sources.push({
      id: String(i + 1).padStart(width, '0'),
      name: change.name,
      up: deploy,
      ...(revert ? { down: revert } : {}),
      ...(verify ? { verify } : {}),
      trackingKey: change.name,
    });
  }
  return { format: 'sqitch', sources, project: plan.project };
}
