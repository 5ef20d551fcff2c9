import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { rehearse } from '../src/rehearsal.ts';
import type { Report } from '../src/report/index.ts';
import { cacheList, cacheRemove } from '../src/snapshot/index.ts';
import { rehearseSuggestion } from '../src/suggest/index.ts';
import type { Logger } from '../src/core/log.ts';
import { filesIn, planOn } from './helpers/plan.ts';

/** --suggest rehearses its rewrites on a clone of the run's snapshot, not on a second load (docs/snapshots.md). */
const data = (rows: number) =>
  `CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL);\nINSERT INTO orders SELECT g, 1 + g % 500 FROM generate_series(1, ${rows}) g;\n`;

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-suggest-snapshot-'));
const cacheDir = path.join(out, 'cache');

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    progress: () => ({ update: () => {}, done: () => {} }),
  };
}

/** the run, then its suggestion; the two reports and what was logged */
async function runWithSuggestion(cache: { mode: 'always'; dir: string }, name: string, rows: number) {
  const dump = path.join(filesIn({ 'data.sql': data(rows) }), 'data.sql');
  const dir = filesIn({ '001_index.sql': 'CREATE INDEX orders_user_idx ON orders (user_id);\n' });
  const plan = { ...planOn(dir), load: { kind: 'dump' as const, path: dump }, cache };
  const log = capture();
  const { report: before } = await rehearse(plan, log);
  expect(before.run.status).toBe('passed');
  const suggestion = await rehearseSuggestion(plan, before, path.join(out, name), log, rehearse);
  expect(suggestion).not.toBeNull();
  const after = JSON.parse(fs.readFileSync(suggestion!.report, 'utf8')) as Report;
  expect(after.run.status).toBe('passed');
  expect(suggestion!.rewrites.map((r) => r.rule)).toEqual(['create-index-blocking']);
  return { before, after, lines: log.lines };
}

/** the template databases this file saved on the shared server */
const saved: string[] = [];
afterAll(async () => {
  for (const key of saved) await cacheRemove({ dir: cacheDir, databaseUrl: inject('pgUrl') }, key).catch(() => undefined);
  fs.rmSync(out, { recursive: true, force: true });
});

describe('--suggest and snapshots', () => {
  it('the run saves the snapshot, the suggestion clones it: the dataset is restored once', async () => {
    const { before, after, lines } = await runWithSuggestion({ mode: 'always', dir: cacheDir }, 'always', 20000);
    const key = before.dataset!.snapshot!.key;
    saved.push(key);
    expect(before.dataset!.snapshot).toMatchObject({ hit: false, createdAt: expect.any(String) });
    expect(after.dataset!.snapshot).toMatchObject({ key, hit: true, createdAt: before.dataset!.snapshot!.createdAt });
    // a clone, not a restore: no load phases, the tables the restore measured
    expect(after.dataset!.phaseMs).toBeUndefined();
    expect(after.dataset!.tables).toEqual(before.dataset!.tables);
    expect(lines.filter((l) => l.startsWith('dataset cloned from snapshot'))).toEqual([expect.stringContaining(key)]);
    expect(lines.find((l) => l.startsWith('--suggest:'))).toContain(`(a clone of snapshot ${key})`);
    // one snapshot of the dataset, complete
    const entries = (await cacheList({ dir: cacheDir, databaseUrl: inject('pgUrl') })).filter((e) => e.key === key);
    expect(entries.map((e) => [e.provider, e.incomplete])).toEqual([['url', false]]);
  }, 120_000);
});
