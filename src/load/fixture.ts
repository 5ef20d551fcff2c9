import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { applicationName } from '../core/client.ts';
import { infraError, usageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';

/**
 * A bundled synthetic dataset: a folder under fixtures/ with
 *   schema.sql   — DDL; the part after a `-- @post-data` line runs after the rows (constraints, indexes)
 *   generate.sql — one statement per `-- @step <name>` section, run in order with $1 = scale, $2 = seed
 * Everything runs server-side in one transaction (with wal_level=minimal the new tables skip WAL).
 */
export interface FixtureDefinition {
  name: string;
  preData: string;
  postData: string;
  steps: FixtureStep[];
}

export interface FixtureStep {
  /** the table it fills, for progress */
  name: string;
  sql: string;
  /** how many of ($1 scale, $2 seed) the statement uses */
  params: number;
}

export const DEFAULT_SEED = 42;
const MAX_SCALE = 2_147_483_647; // orders.id is an int

export function fixturesDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
}

/** Names of the bundled fixtures: folders of fixtures/ with schema.sql and generate.sql. */
export async function knownFixtures(dir = fixturesDir()): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const has = (f: string) =>
      fs.access(path.join(dir, e.name, f)).then(
        () => true,
        () => false,
      );
    if ((await has('schema.sql')) && (await has('generate.sql'))) names.push(e.name);
  }
  return names.sort();
}

export async function readFixture(name: string, dir = fixturesDir()): Promise<FixtureDefinition> {
  const known = await knownFixtures(dir);
  if (!known.includes(name)) {
    throw usageError(`unknown fixture "${name}"`, `known fixtures: ${known.join(', ') || '(none found in ' + dir + ')'}`);
  }
  const folder = path.join(dir, name);
  const [schema, generate] = await Promise.all([fs.readFile(path.join(folder, 'schema.sql'), 'utf8'), fs.readFile(path.join(folder, 'generate.sql'), 'utf8')]);
  const { preData, postData } = splitSchema(schema);
  return { name, preData, postData, steps: splitSteps(generate) };
}

/** schema.sql → the DDL before and after the `-- @post-data` line. */
export function splitSchema(text: string): { preData: string; postData: string } {
  const m = /^--\s*@post-data\b.*$/m.exec(text);
  if (!m) return { preData: text, postData: '' };
  return { preData: text.slice(0, m.index), postData: text.slice(m.index + m[0].length) };
}

/** generate.sql → its `-- @step <name>` sections (text before the first one is commentary). */
export function splitSteps(text: string): FixtureStep[] {
  const marker = /^--\s*@step\s+(\S+).*$/gm;
  const marks = [...text.matchAll(marker)];
  return marks.map((m, i) => {
    const start = m.index + m[0].length;
    const end = marks[i + 1]?.index ?? text.length;
    const sql = text.slice(start, end).trim().replace(/;\s*$/, '');
    const used = [...sql.matchAll(/\$(\d+)/g)].map((p) => Number(p[1]));
    return { name: m[1]!, sql, params: Math.max(0, ...used) };
  });
}

export function validateScale(scale: number, seed: number): void {
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_SCALE) {
    throw usageError(`--scale ${scale} is not a whole number of orders between 1 and ${MAX_SCALE}`, 'e.g. --scale 100000');
  }
  if (!Number.isSafeInteger(seed)) throw usageError(`--seed ${seed} is not a whole number`, 'e.g. --seed 42');
}

/** Creates and fills the fixture's tables in the database of `url`. */
export async function generateFixture(url: string, fixture: FixtureDefinition, scale: number, seed: number, log: Logger): Promise<void> {
  validateScale(scale, seed);
  const client = new pg.Client({ connectionString: url, application_name: applicationName('load') });
  await client.connect();
  let step = 'schema';
  try {
    await client.query('BEGIN');
    // the generator sorts and aggregates a few times the scale in rows
    await client.query(`SET LOCAL work_mem = '256MB'`);
    await client.query(fixture.preData);
    for (const s of fixture.steps) {
      step = s.name;
      const progress = log.progress(`${fixture.name}: ${s.name}`);
      const res = await client.query(s.sql, [scale, seed].slice(0, s.params));
      progress.done(`${(res.rowCount ?? 0).toLocaleString('en-US')} rows`);
    }
    step = 'constraints and indexes';
    const progress = log.progress(`${fixture.name}: constraints and indexes`);
    if (fixture.postData.trim()) await client.query(fixture.postData);
    await client.query('COMMIT');
    progress.done();
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw infraError(`generating fixture ${fixture.name} failed at ${step}: ${(err as Error).message}`, undefined, err);
  } finally {
    await client.end();
  }
}
