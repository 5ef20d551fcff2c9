#!/usr/bin/env zx
/**
 * A fresh install of a long history: `rehearse run --empty --migrations <dir>` on a generated
 * history in a tool's real layout (scripts/bench/history-gen.ts), timed from outside, with the
 * replay's own figures from report.json side by side.
 *
 *   zx scripts/bench/history.mjs [--tool diesel] [--count 342]
 *
 * Prints: wall time of the command (server start, introspection, replay, report), the replay's sum
 * of migration durations, per migration (mean, median, p95) and per statement. The embedded server
 * and the temp folders are removed at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { generateHistory } = await import('./history-gen.ts');

const tool = argv.tool ?? 'diesel';
const count = Number(argv.count ?? 342);
const work = mkdtempSync(path.join(os.tmpdir(), 'rehearse-bench-history-'));
try {
  const dir = path.join(work, 'migrations');
  const out = path.join(work, 'out');
  generateHistory(tool, count, dir);
  const started = performance.now();
  await $`node bin/rehearse.js run --empty --migrations ${dir} --out ${out} --format json --quiet`.quiet();
  const wallMs = performance.now() - started;
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
  const per = report.migrations.map((m) => m.durationMs).sort((a, b) => a - b);
  const sum = per.reduce((t, v) => t + v, 0);
  const q = (f) => per[Math.min(per.length - 1, Math.floor(per.length * f))];
  const f = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
  console.log(`${tool}, ${count} migrations, ${report.summary.statements} statements, ${report.summary.applied} applied, exit ${report.run.exitCode}`);
  console.log(`rehearse run --empty (wall):  ${f(wallMs)}`);
  console.log(`replay (sum of migrations):   ${f(sum)}`);
  console.log(`per migration: mean ${f(sum / per.length)}, median ${f(q(0.5))}, p95 ${f(q(0.95))}; per statement ${f(sum / report.summary.statements)}`);
  console.log(`load average during the run:  ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
