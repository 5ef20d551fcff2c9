#!/usr/bin/env zx
/**
 * Restore once, rehearse many: time-to-first-migration of a run that restores a dump against one
 * that starts from the dump's snapshot, for the embedded provider (data directory clone), the url
 * provider (template database clone) and, with --providers …,container, the container provider
 * (tar of the data directory put into a new container), side by side in one run.
 *
 *   zx scripts/bench/snapshot.mjs [--scale 8000000] [--dump file.dump] [--keep-dump file.dump]
 *                                 [--providers embedded,url,container] [--image rehearse-local/postgres:17]
 *
 * 1. Without --dump: the shop fixture at --scale orders on an embedded PostgreSQL of the installed
 *    pg_dump's major, dumped with pg_dump -Fc -Z0 (uncompressed: 8M orders make a dump over 1 GB);
 *    --keep-dump FILE writes it there and keeps it, for a later --dump FILE.
 * 2. Four `rehearse run`s (the CLI, as a user runs it) of the same three migrations — an index
 *    build, a backfill, a table rewrite — with the same dump:
 *      embedded: first run (restore, snapshot saved), second run (clone of the snapshot)
 *      url:      first run (restore into a scratch database, template saved), second run (clone)
 *      container: first run (restore in the container, data directory tar saved), second run
 *                (a new container on the tar); --image, on the host network (TESTCONTAINERS_*
 *                as for the container tests)
 *    the url runs against an embedded server this script starts.
 * 3. Time to first migration = from spawning `rehearse run` to the start of its first statement
 *    (report.json); ratios first/second. Statement durations after a restore and after a clone
 *    side by side (the fair-timings check, docs/snapshots.md).
 * Every server and folder it makes is removed, on errors too.
 */
import { register } from 'tsx/esm/api';

register();
const { provision, bundledMajor } = await import('../../src/provision/index.ts');
const { loadDataset } = await import('../../src/load/index.ts');
const { clientTool, clientConnection } = await import('../../src/load/client-tools.ts');
const { silentLogger } = await import('../../src/core/log.ts');

const scale = Number(argv.scale ?? 8_000_000);
const providers = String(argv.providers ?? 'embedded,url').split(',');
const image = argv.image ?? 'rehearse-local/postgres:17';
const say = (m) => process.stderr.write(`${m}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
const bin = path.resolve('bin/rehearse.js');

const MIGRATIONS = {
  '001_index_order_items_product.up.sql': 'CREATE INDEX order_items_product_qty ON order_items (product_id, quantity);\n',
  '002_backfill_users_email_domain.up.sql': "ALTER TABLE users ADD COLUMN email_domain text;\nUPDATE users SET email_domain = split_part(email, '@', 2);\n",
  '003_rewrite_users_flag.up.sql': 'ALTER TABLE users ADD COLUMN flagged boolean NOT NULL DEFAULT random() < 0.01;\n',
};

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-rehearse-bench-snapshot-'));
await fs.chmod(tmp, 0o755); // as root the servers run as postgres under it
let urlServer;
try {
  let dumpPath = argv.dump;
  if (!dumpPath) {
    const pgDump = await clientTool('pg_dump');
    const major = Math.min(pgDump.major, bundledMajor());
    dumpPath = argv['keep-dump'] ? path.resolve(argv['keep-dump']) : path.join(tmp, `shop-${scale}.dump`);
    say(`building the dump: shop fixture, scale ${scale}, on embedded PostgreSQL ${major}, pg_dump ${pgDump.version} -Fc -Z0`);
    const source = await provision({ provider: 'embedded', postgresMajor: major }, silentLogger);
    try {
      await loadDataset(source.url, { kind: 'fixture', name: 'shop', scale }, silentLogger);
      const { conninfo, env } = clientConnection(source.url);
      await $({ env: { ...process.env, ...env } })`pg_dump -Fc -Z0 --no-sync -f ${dumpPath} -d ${conninfo}`;
    } finally {
      await source.stop();
    }
  }
  const dumpBytes = (await fs.stat(dumpPath)).size;
  say(`dump: ${dumpPath} (${mb(dumpBytes)})`);

  const migrations = path.join(tmp, 'migrations');
  await fs.mkdir(migrations);
  for (const [f, text] of Object.entries(MIGRATIONS)) await fs.writeFile(path.join(migrations, f), text);
  const runTmp = path.join(tmp, 'run');
  await fs.mkdir(runTmp, { mode: 0o755 });

  let serverUrl;
  if (providers.includes('url')) {
    urlServer = await provision({ provider: 'embedded' }, silentLogger);
    await urlServer.prepareForReplay(); // production-like durability, as an existing server has
    serverUrl = urlServer.url.replace(/\/rehearse$/, '/postgres');
  }

  const runs = [];
  // each provider its own cache folder: the url pair hashes the dump on its first run too
  async function run(label, extra, cacheDir) {
    const out = path.join(tmp, `out-${runs.length}`);
    say(`${label} …`);
    const started = Date.now();
    const res = await $({
      nothrow: true,
      env: { ...process.env, TMPDIR: runTmp, PG_REHEARSE_NO_CACHE: '' },
    })`node ${bin} run --dump ${dumpPath} --migrations ${migrations} --cache --cache-dir ${cacheDir} --out ${out} --format json --no-budgets --quiet ${extra}`;
    const wallMs = Date.now() - started;
    const report = JSON.parse(await fs.readFile(path.join(out, 'report.json'), 'utf8'));
    if (res.exitCode !== 0) throw new Error(`${label}: exit ${res.exitCode}: ${report.run.error?.message ?? res.stderr}`);
    const first = report.migrations[0]?.statements[0];
    const ttfm = Date.parse(first.startedAt) - started;
    const statements = report.migrations.flatMap((m) => m.statements.map((s) => ({ id: `${m.id}#${s.index}`, kind: s.kind, durationMs: s.durationMs })));
    const r = { label, ttfm, wallMs, loadMs: report.dataset.loadMs, snapshot: report.dataset.snapshot, statements };
    say(
      `  time to first migration ${seconds(ttfm)} (hash ${seconds(r.snapshot.hashMs)}, dataset ready in ${seconds(r.loadMs)}, snapshot ${r.snapshot.hit ? 'hit' : 'saved'} ${mb(r.snapshot.bytes ?? 0)}${r.snapshot.hit ? `, clone ${seconds(r.snapshot.cloneMs)}` : `, save ${seconds(r.snapshot.saveMs)}`})`,
    );
    runs.push(r);
    return r;
  }
  // each pair: a first run (restore, snapshot saved) and a second (clone), with its own cache folder
  const pairs = [];
  if (providers.includes('embedded')) {
    pairs.push({
      name: 'embedded',
      first: await run('embedded, first run (restore)', [], path.join(tmp, 'cache')),
      second: await run('embedded, second run (clone of the data directory)', [], path.join(tmp, 'cache')),
    });
  }
  if (providers.includes('url')) {
    const extra = ['--database-url', serverUrl];
    pairs.push({
      name: 'url (template)',
      first: await run('url, first run (restore into a scratch database)', extra, path.join(tmp, 'cache-url')),
      second: await run('url, second run (template clone)', extra, path.join(tmp, 'cache-url')),
    });
    // the template databases live on urlServer and go with it
  }
  if (providers.includes('container')) {
    const extra = ['--provider', 'container', '--image', image, '--container-network', 'host'];
    pairs.push({
      name: 'container (tar)',
      first: await run(`container ${image}, first run (restore in the container)`, extra, path.join(tmp, 'cache-container')),
      second: await run('container, second run (a new container on the data directory tar)', extra, path.join(tmp, 'cache-container')),
    });
  }

  const ratio = (a, b) => `${(a.ttfm / b.ttfm).toFixed(1)}x`;
  const pct = (a, b) => `${(((b - a) / a) * 100).toFixed(0).padStart(4)} %`;
  const rows = pairs[0].first.statements.map(
    (s, i) =>
      `  ${s.id.padEnd(40)}` +
      pairs
        .map(
          (p) =>
            ` ${seconds(p.first.statements[i].durationMs).padStart(8)} ${seconds(p.second.statements[i].durationMs).padStart(8)} ${pct(p.first.statements[i].durationMs, p.second.statements[i].durationMs)}  `,
        )
        .join(''),
  );
  const line = (f) => pairs.map((p) => `  ${p.name.padEnd(22)}${f(p)}`).join('\n');
  console.log(`
snapshot benchmark: ${argv.dump ? path.basename(dumpPath) : `shop scale ${scale}, pg_dump -Fc -Z0`}, ${mb(dumpBytes)}, ${os.availableParallelism()} CPUs, pg_restore -j default
hashing the dump (first run of each pair; the second reuses it): ${pairs.map((p) => `${p.name} ${seconds(p.first.snapshot.hashMs)} (${(dumpBytes / 1e6 / (p.first.snapshot.hashMs / 1000)).toFixed(0)} MB/s), then ${seconds(p.second.snapshot.hashMs)}`).join('; ')}

time to first migration   first run (restore)   second run (clone)   first / second
${line((p) => `  ${seconds(p.first.ttfm).padStart(10)}            ${seconds(p.second.ttfm).padStart(10)}         ${ratio(p.first, p.second)}`)}
dataset ready (loadMs)
${line((p) => `  ${seconds(p.first.loadMs).padStart(10)}            ${seconds(p.second.loadMs).padStart(10)}`)}
snapshot: ${pairs.map((p) => `${p.name} ${mb(p.first.snapshot.bytes)} saved in ${seconds(p.first.snapshot.saveMs)}, cloned in ${seconds(p.second.snapshot.cloneMs)}`).join('; ')}

statement durations after a restore vs after a clone
  statement                               ${pairs.map((p) => `${p.name.padStart(12)}: restore  clone   diff  `).join('')}
${rows.join('\n')}
`);
} finally {
  await urlServer?.stop().catch(() => undefined);
  await fs.rm(tmp, { recursive: true, force: true });
}
