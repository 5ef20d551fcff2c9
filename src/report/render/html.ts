import { predictedText } from './prediction.ts';
import { esc, lockColor, renderTimeline } from './html-timeline.ts';
import { STYLE } from './html-style.ts';
import type { SchemaDiff } from '../../schema/index.ts';
import type { MetricDelta } from '../model/types.ts';
import { allStatements, compatRows, hasTraffic, longestBlocking, rolloutText, verdictOf, worstLockHold } from '../policy/queries.ts';
import { baseLine, diffCounts, diffLines, fmtBytes, fmtInt, fmtMs, fmtPct, lockName } from '../format/text.ts';
import { headline } from './common.ts';
import type { Report } from '../model/types.ts';
import { groupBlocking } from '../format/blocking-groups.ts';
import { findingsHtml, suggestionRows } from './findings.ts';
import { suggestionFailureText } from './suggestion-failure.ts';

/**
 * One self-contained HTML file: inline CSS and SVG, no script, no font, no request of any kind, so
 * it opens offline and from a CI artifact. The timeline, then the tables: budgets, migrations and
 * statements, blocking, application latency, compatibility, schema. A pure function of the report.
 */
export function renderHtml(report: Report): string {
  const verdict = verdictOf(report);
  const title = `pg-rehearse: ${verdict.status} — ${report.run.startedAt}`;
  const body: string[] = [];
  body.push(`<header><h1><span class="verdict ${verdict.status}">${verdict.status}</span> pg-rehearse</h1><p>${esc(headline(report))}</p>`);
  if (verdict.reasons.length) body.push(`<ul class="reasons">${verdict.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  const suggestionFailed = suggestionFailureText(report);
  if (suggestionFailed)
    body.push(`<p class="suggestion-failed"><strong>${esc(suggestionFailed.head)}</strong> (<a href="#suggestion">suggested migrations</a>)</p>`);
  if (report.run.error?.hint) body.push(`<p class="hint">${esc(report.run.error.hint)}</p>`);
  body.push('</header>');

  body.push('<section id="timeline"><h2>Timeline</h2>');
  body.push(legend(report));
  body.push(`<div class="scroll">${renderTimeline(report)}</div></section>`);

  body.push(findingsHtml(report, esc));
  body.push(suggestionHtml(report));
  body.push(budgetsSection(report));
  body.push(migrationsSection(report));
  body.push(statementsSection(report));
  body.push(blockingSection(report));
  body.push(latencySection(report));
  body.push(compatibilitySection(report));
  body.push(schemaSection(report));
  body.push(comparisonSection(report));
  body.push(runSection(report));
  body.push(`<footer>pg-rehearse ${esc(report.tool.version)} · report.json schema ${esc(report.schemaVersion)} · run ${esc(report.run.startedAt)}</footer>`);

  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body.filter(Boolean),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const table = (head: string[], rows: string[][], cls = ''): string =>
  `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table>`;
const code = (s: string) => `<code>${esc(s)}</code>`;
const statusBadge = (s: string) => `<span class="status ${esc(s)}">${esc(s)}</span>`;

function legend(report: Report): string {
  const items = [
    '<span class="key statement"></span> statement',
    '<span class="key migration"></span> migration',
    `<span class="key" style="background:${lockColor('AccessExclusiveLock')}"></span> lock held: AccessExclusive (blocks everything)`,
    `<span class="key" style="background:${lockColor('ShareLock')}"></span> Share…Exclusive (blocks writes)`,
    `<span class="key" style="background:${lockColor('ShareUpdateExclusiveLock')}"></span> ShareUpdateExclusive`,
    `<span class="key" style="background:${lockColor('RowExclusiveLock')}"></span> weaker`,
  ];
  if (hasTraffic(report)) items.push('<span class="key blocking"></span> app query blocked', '<span class="key errors"></span> app errors');
  return `<p class="legend">${items.join(' ')}</p>`;
}

function budgetsSection(report: Report): string {
  const results = report.budgets?.results ?? [];
  if (!results.length) return '';
  const rows = results.map((b) => [
    code(b.name),
    esc(b.description),
    b.skipped
      ? `<span class="muted">not applicable: ${esc(b.skipped)}</span>`
      : b.ok
        ? '<span class="ok">pass</span>'
        : `<span class="bad">${b.violations.length} violation${b.violations.length === 1 ? '' : 's'}</span>`,
    b.violations.length
      ? `<ul>${b.violations.map((v) => `<li>${v.file ? `${code(baseLine(v.file, v.line))} ` : ''}${esc(v.message)}</li>`).join('')}</ul>`
      : '',
  ]);
  return `<section id="budgets"><h2>Budgets</h2>${table(['budget', 'limit', 'result', 'violations'], rows)}</section>`;
}

function migrationsSection(report: Report): string {
  if (!report.migrations.length) return '';
  const rows = report.migrations.map((m) => {
    const w = worstLockHold(m);
    const lock = w?.strongestLocks[0];
    return [
      `${code(m.id)} ${esc(m.name)}`,
      statusBadge(m.status),
      esc(fmtMs(m.durationMs)),
      w ? `${esc(fmtMs(w.lockHeldMs))}${lock ? ` ${esc(lockName(lock.mode))} on ${code(lock.relation)}` : ''} · ${code(baseLine(w.file, w.line))}` : '—',
      code(m.file),
    ];
  });
  return `<section id="migrations"><h2>Migrations</h2>${table(['migration', 'status', 'duration', 'worst lock hold', 'file'], rows)}</section>`;
}

function statementsSection(report: Report): string {
  const stmts = allStatements(report);
  if (!stmts.length) return '';
  const traffic = hasTraffic(report);
  const rows = stmts.map(({ m, s }) => {
    const locks = s.strongestLocks
      .map((l) => `<span class="lock" style="border-color:${lockColor(l.mode)}">${esc(lockName(l.mode))}</span> ${code(l.relation)}`)
      .join('<br>');
    const b = traffic ? longestBlocking(report, m, s) : null;
    return [
      `${code(`${m.id}#${s.index + 1}`)}<br><span class="muted">${esc(baseLine(s.file, s.line))}</span>`,
      `<pre class="sql">${esc(s.sql)}</pre>${s.error ? `<div class="bad">${esc(`${s.error.sqlstate} ${s.error.message}`)}${s.error.hint ? `<br>${esc(s.error.hint)}` : ''}</div>` : ''}`,
      esc(fmtMs(s.durationMs)) + (predictedText(s) ? `<br><span class="muted">${esc(predictedText(s)!)}</span>` : ''),
      (locks || '—') + (s.lockSource === 'sampled' && s.strongestLocks.length ? ' <span class="muted">(sampled)</span>' : ''),
      s.lockHeldMs > 0 ? esc(fmtMs(s.lockHeldMs)) : '—',
      ...(traffic
        ? [b ? `${esc(fmtMs(b.ms))}${s.blockedQueries !== undefined ? ` <span class="muted">(${fmtInt(s.blockedQueries)} queries)</span>` : ''}` : '—']
        : []),
      s.rewrites.map((r) => code(r.relation)).join('<br>') || '—',
      esc(fmtBytes(s.walBytes)),
      s.rowsAffected === null ? '—' : esc(fmtInt(s.rowsAffected)),
    ];
  });
  const head = ['statement', 'SQL', 'duration', 'strongest locks', 'lock held', ...(traffic ? ['blocked apps'] : []), 'rewritten', 'WAL', 'rows'];
  return `<section id="statements"><h2>Statements</h2>${table(head, rows, 'statements')}</section>`;
}

function blockingSection(report: Report): string {
  const groups = groupBlocking(report.blocking ?? []);
  if (!groups.length) return '';
  const ordered = [...groups.filter((g) => g.app !== 'migration'), ...groups.filter((g) => g.app === 'migration')];
  const rows = ordered.map((g) => [
    code(`${g.app}/${g.query}`),
    esc(fmtInt(g.count)),
    esc(fmtMs(g.longestMs)),
    esc(fmtMs(g.totalMs)),
    esc(g.blockerKind) + (g.migrationId !== null ? ` ${code(`${g.migrationId}#${(g.statementIndex ?? 0) + 1}`)}` : ''),
    esc(g.rootBlocker),
  ]);
  return `<section id="blocking"><h2>Blocking</h2><p>Per blocked query and migration statement: how many executions waited on a lock, the longest and the total, with who held the lock at the root of the queue (every wait is on the timeline).</p>${table(['blocked query', 'executions', 'longest', 'total', 'blocked by', 'root blocker'], rows)}</section>`;
}

function latencySection(report: Report): string {
  const apps = report.workload?.apps ?? [];
  if (!apps.length) return '';
  const p = (v: number | null) => (v === null ? '—' : esc(fmtMs(v)));
  const rows = apps.flatMap((a) =>
    a.queries.map((q) => [
      code(a.name),
      code(q.name),
      esc(fmtInt(q.count)),
      Object.entries(q.errors)
        .map(([k, v]) => `${code(k)} ${esc(fmtInt(v))}`)
        .join(', ') || '—',
      p(q.p50Ms),
      p(q.p95Ms),
      p(q.p99Ms),
      p(q.maxMs),
    ]),
  );
  return `<section id="latency"><h2>Application latency</h2>${table(['app', 'query', 'executions', 'errors', 'p50', 'p95', 'p99', 'max'], rows)}</section>`;
}

function compatibilitySection(report: Report): string {
  const c = report.compatibility;
  if (!c) return '';
  const apps = c.apps.map((a) => (typeof a === 'string' ? a : a.name));
  const rows = compatRows(report).map((r) => {
    const m = report.migrations.find((x) => x.id === r.state);
    return [
      `${code(r.state)}${m ? ` ${esc(m.name)}` : ''}`,
      ...r.cells.map((cell) =>
        cell.ok
          ? '<span class="ok">pass</span>'
          : `<span class="bad">fail</span><ul>${cell.failures.map((f) => `<li>${code(f.query)} ${code(f.sqlstate)} ${esc(f.message)}</li>`).join('')}</ul>`,
      ),
    ];
  });
  const rollout = rolloutText(report);
  return (
    `<section id="compatibility"><h2>Compatibility</h2><p>Each app version's queries, probed at the starting schema and after each migration.</p>` +
    table(['schema state', ...apps.map(esc)], rows, 'compat') +
    (rollout ? `<p><strong>Suggested rollout:</strong> ${esc(rollout)}</p>` : '') +
    `<p>Old app works through ${c.oldAppLastState !== null ? code(c.oldAppLastState) : '(no state)'}; new app works from ${c.newAppFirstState !== null ? code(c.newAppFirstState) : '(no state)'}.</p></section>`
  );
}

function diffBlock(d: SchemaDiff): string {
  const lines = diffLines(d);
  if (!lines.length) return '<p class="muted">no difference</p>';
  return `<pre class="diff">${lines.map((l) => `<span class="${l[0] === '+' ? 'add' : l[0] === '-' ? 'del' : 'chg'}">${esc(l)}</span>`).join('\n')}</pre>`;
}

function schemaSection(report: Report): string {
  const out: string[] = [];
  if (report.schemaDiff) out.push(`<h3>Schema diff (${esc(diffCounts(report.schemaDiff))})</h3>`, diffBlock(report.schemaDiff));
  if (report.schemaHazards.length) out.push('<h3>Hazards</h3>', `<ul>${report.schemaHazards.map((h) => `<li>${esc(h.message)}</li>`).join('')}</ul>`);
  const rb = report.rollback;
  if (rb) {
    out.push(
      `<h3>Rollback: ${rb.restored ? '<span class="ok">restored the starting schema</span>' : '<span class="bad">did not restore the starting schema</span>'}</h3>`,
    );
    if (!rb.restored) out.push(diffBlock(rb.diff));
    if (rb.dataLoss.length)
      out.push(`<ul>${rb.dataLoss.map((w) => `<li>data loss: ${esc(w.message)} (${code(baseLine(w.file, w.line))})</li>`).join('')}</ul>`);
    const rows = rb.migrations.flatMap((m) =>
      m.statements.map((s) => [
        `${code(`${m.id}#${s.index + 1}`)}`,
        `<pre class="sql">${esc(s.sql)}</pre>${s.error ? `<div class="bad">${esc(`${s.error.sqlstate} ${s.error.message}`)}</div>` : ''}`,
        esc(fmtMs(s.durationMs)),
        s.lockHeldMs > 0 ? esc(fmtMs(s.lockHeldMs)) : '—',
      ]),
    );
    if (rows.length) out.push(table(['down statement', 'SQL', 'duration', 'lock held'], rows, 'statements'));
  }
  if (report.drift)
    out.push(
      `<h3>Drift: ${report.drift.drifted ? '<span class="bad">the database differs from the migration history</span>' : '<span class="ok">none</span>'}</h3>`,
      report.drift.drifted ? diffBlock(report.drift.diff) : '',
    );
  if (report.expectedSchema) {
    const e = report.expectedSchema;
    out.push(
      `<h3>Expected schema ${code(e.file)}: ${e.matches ? '<span class="ok">matches</span>' : '<span class="bad">differs</span>'}</h3>`,
      e.matches ? '' : diffBlock(e.diff),
    );
  }
  return out.length ? `<section id="schema"><h2>Schema</h2>${out.filter(Boolean).join('\n')}</section>` : '';
}

function comparisonSection(report: Report): string {
  const c = report.comparison;
  if (!c) return '';
  const d = (x: MetricDelta | null) =>
    x ? `<span class="${x.regression ? 'bad' : ''}">${esc(`${fmtMs(x.before)} → ${fmtMs(x.after)} (${fmtPct(x.deltaPct)})`)}</span>` : '—';
  const rows = c.statements.map((s) => [
    `${code(`${s.migrationId}#${s.statementIndex + 1}`)} ${code(baseLine(s.file, s.line))}`,
    d(s.durationMs),
    d(s.lockHeldMs),
    d(s.maxBlockedMs),
    s.regression ? '<span class="bad">regression</span>' : '',
  ]);
  const qrows = c.queries.map((q) => [code(`${q.app}/${q.query}`), d(q.p99Ms), q.p99Ms.regression ? '<span class="bad">regression</span>' : '']);
  return (
    `<section id="comparison"><h2>Against the baseline</h2><p>Compared with ${code(c.baseline.file)} (run ${esc(c.baseline.startedAt)}): <strong>${c.regressions} regression${c.regressions === 1 ? '' : 's'}</strong> — a figure up more than ${c.thresholdPct} % and at least ${esc(fmtMs(c.minDeltaMs))}, or a new failure.</p>` +
    (c.newFailures.length
      ? `<ul>${c.newFailures.map((f) => `<li class="bad">new: ${f.file ? `${code(baseLine(f.file, f.line))} ` : ''}${esc(f.message)}</li>`).join('')}</ul>`
      : '') +
    table(['statement', 'duration', 'lock held', 'blocked', ''], rows) +
    (qrows.length ? table(['query', 'p99', ''], qrows) : '') +
    '</section>'
  );
}

function runSection(report: Report): string {
  const items = [
    `command: ${code(['rehearse', ...report.run.argv].join(' '))}`,
    `started ${esc(report.run.startedAt)}, ${esc(fmtMs(report.run.durationMs))}, exit code ${report.run.exitCode}`,
  ];
  if (report.migrationSource)
    items.push(
      `migrations: ${code(report.migrationSource.folder)} (${esc(report.migrationSource.format)}), ${report.migrationSource.total} found, ${report.migrationSource.alreadyApplied.length} already applied`,
    );
  if (report.dataset)
    items.push(
      `dataset: ${report.dataset.tables.map((t) => `${code(t.name)} ${esc(fmtInt(t.rows))} rows`).join(', ')}; loaded in ${esc(fmtMs(report.dataset.loadMs))}`,
    );
  const settings = Object.entries(report.postgres?.settings ?? {});
  return (
    `<section id="run"><h2>Run</h2><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>` +
    (settings.length
      ? `<details><summary>server settings during the replay (${settings.length})</summary>${table(
          ['setting', 'value'],
          settings.map(([k, v]) => [code(k), code(v)]),
        )}</details>`
      : '') +
    '</section>'
  );
}

function suggestionHtml(report: Report): string {
  const rows = suggestionRows(report);
  const s = report.suggestion;
  if (!s || !rows.length) return '';
  // a failed rehearsal leads with the failure; the figures of the part that ran are labelled, never bold
  const failed = suggestionFailureText(report);
  const lead = failed
    ? `<div class="suggestion-failed"><p><strong>${esc(failed.head)}</strong></p>${failed.details.map((d) => `<p>${esc(d)}</p>`).join('')}</div>`
    : '';
  return `<section id="suggestion"><h2>Suggested migrations, rehearsed</h2>${lead}<p>${s.rewrites.length} mechanical rewrite(s) in ${code(s.folder)}, rehearsed on the same dataset and workload (${esc(s.status)}; its report ${code(s.report)}).</p>${table(
    ['', 'before', failed ? 'after (partial: stopped at the failure)' : 'after'],
    rows.map((r) => [esc(r.label), esc(r.before), failed ? esc(r.after) : `<strong>${esc(r.after)}</strong>`]),
  )}${failed ? `<p>${esc(failed.partial)}</p>` : ''}</section>`;
}
