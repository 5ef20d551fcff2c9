#!/usr/bin/env zx
/**
 * Start-up of `rehearse --help` and `rehearse --version`, before and after issue 22, in one run.
 *
 *   zx scripts/bench/startup.mjs [--before 58d4a44] [--runs 15]
 *
 * - before: the tree at --before (default 58d4a44, the last commit before the compiled package:
 *   bin/rehearse.js registered tsx and imported every command's module), from `git archive`.
 * - after (compiled): the working tree built as `npm pack` builds it (scripts/build.mjs → dist/),
 *   what a project that installs the package runs with plain node.
 * - after (sources): the same tree run from its TypeScript sources through tsx (a clone without
 *   `npm run build`: bin/rehearse.js falls back to them).
 * - node -e 0: the floor, Node's own start-up on this machine at this moment.
 *
 * Each staged tree is a temp folder with node_modules linked to this one's. Prints, per command,
 * the median and fastest wall time and the median CPU time (user + system, read at the process's
 * exit) of --runs starts, and the ratios before/after. Target: ≤ 0.4 s wall.
 *
 * Recorded on the project's 2-core machine while other work kept it busy (so wall times are high):
 * - by hand at HEAD 58d4a44, load average 2–6: `rehearse --help` 1.29–2.25 s, `--version`
 *   1.34–1.52 s; the compiled package installed from the tarball, load ~6: `--help` 0.16–0.21 s.
 * - this script, --runs 5, load average ~14 (node -e 0 alone: 1.02 s wall, 0.14 s CPU):
 *   --help    before 7.94 s wall / 2.61 s CPU; after, compiled 0.68 s / 0.25 s; from sources 1.71 s / 0.67 s
 *   --version before 5.66 s wall / 2.33 s CPU; after, compiled 0.55 s / 0.22 s; from sources 1.05 s / 0.59 s
 *   about 10x less either way; the compiled start-up's CPU time is 0.1 s above node's own.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', '..');
const before = argv.before ?? '58d4a44';
const runs = Number(argv.runs ?? 15);
const say = (m) => process.stderr.write(`${m}\n`);
const work = mkdtempSync(path.join(os.tmpdir(), 'rehearse-bench-startup-'));

function linkModules(dir) {
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

// the process's CPU time (user + system), printed at exit: on a loaded machine wall time mostly
// measures the others' work, CPU time much less so
const preload = path.join(work, 'cpu.mjs');
writeFileSync(
  preload,
  "import fs from 'node:fs';\nprocess.on('exit', () => { const u = process.cpuUsage(); fs.writeSync(2, '\\ncpu-us ' + (u.user + u.system) + '\\n'); });\n",
);

/** wall and CPU times in ms of `node <bin> <args>`, `runs` times (one warm-up run first, not counted), each sorted */
async function time(bin, args, env = {}) {
  const once = async () => {
    // spawned directly (no shell in between), as a user's shell would start it
    const t = performance.now();
    const p = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
    const wall = performance.now() - t;
    if (p.status !== 0) throw new Error(`node ${bin} ${args.join(' ')}: exit ${p.status}\n${p.stderr}`);
    return { wall, cpu: Number(/cpu-us (\d+)/.exec(p.stderr)?.[1] ?? Number.NaN) / 1000 };
  };
  await once();
  const out = [];
  for (let i = 0; i < runs; i++) out.push(await once());
  return { wall: out.map((o) => o.wall).sort((a, b) => a - b), cpu: out.map((o) => o.cpu).sort((a, b) => a - b) };
}
const median = (xs) => xs[Math.floor(xs.length / 2)];
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fig = (t) => `${s(median(t.wall))} (fastest ${s(t.wall[0])}, CPU ${s(median(t.cpu))})`;

try {
  say(`before: git archive ${before}`);
  const beforeDir = path.join(work, 'before');
  await $`mkdir -p ${beforeDir}`;
  await $`git -C ${root} archive ${before} | tar -x -C ${beforeDir}`;
  linkModules(beforeDir);

  say('after: the working tree, built (scripts/build.mjs)');
  const afterDir = path.join(work, 'after');
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin', 'fixtures', 'scripts/build.mjs'])
    cpSync(path.join(root, entry), path.join(afterDir, entry), { recursive: true });
  linkModules(afterDir);
  await $`node ${path.join(afterDir, 'scripts', 'build.mjs')}`.quiet();

  const floor = await time('-e', ['0']);
  const rows = [];
  for (const args of [['--help'], ['--version']]) {
    const b = await time(path.join(beforeDir, 'bin', 'rehearse.js'), args);
    const compiled = await time(path.join(afterDir, 'bin', 'rehearse.js'), args);
    const sources = await time(path.join(afterDir, 'bin', 'rehearse.js'), args, { PG_REHEARSE_SOURCES: '1' });
    rows.push({ args: args.join(' '), b, compiled, sources });
  }
  say('');
  console.log(`rehearse start-up, ${runs} runs each: median wall (fastest, median CPU); node -e 0: ${fig(floor)}`);
  for (const r of rows) {
    console.log(`${r.args}`);
    console.log(`  before              ${fig(r.b)}`);
    console.log(`  after, compiled     ${fig(r.compiled)}   ${median(r.compiled.wall) <= 400 ? 'within' : 'OVER'} the 0.4 s target`);
    console.log(`  after, from sources ${fig(r.sources)}`);
    console.log(
      `  before/after        ${(median(r.b.wall) / median(r.compiled.wall)).toFixed(1)}x wall, ${(median(r.b.cpu) / median(r.compiled.cpu)).toFixed(1)}x CPU`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
