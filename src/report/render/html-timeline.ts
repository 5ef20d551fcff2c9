import { lockStrength } from '../model/locks.ts';
import { blockingStart, timeOrigin } from '../policy/queries.ts';
import { clean, fmtMs, lockName, oneLine, fileLine } from '../format/text.ts';
import type { Report } from '../model/types.ts';

/**
 * The timeline as inline SVG, on one time axis (ms from the first statement's start): a lane per
 * migration with its statements as spans and their lock holds under them, a lane per blocked app
 * query with its waits, and per app the p99 latency per second and the errors. Static markup, no
 * script: it works offline and anywhere an <svg> shows. Every statement is one
 * <rect data-kind="statement">, every wait one <rect data-kind="blocking">.
 */

export const esc = (s: string): string => clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => (Math.round(v * 100) / 100).toString();

const WIDTH = 1200;
const LABEL = 260;
const RIGHT = 16;
const PLOT = WIDTH - LABEL - RIGHT;
const LANE = 22;
const AXIS = 28;
const CHART = 90;

const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#ff7f0e', '#393b79'];

export function lockColor(mode: string): string {
  const s = lockStrength(mode);
  if (s >= lockStrength('AccessExclusiveLock')) return '#d62728';
  if (s >= lockStrength('ShareLock')) return '#ff7f0e';
  if (s >= lockStrength('ShareUpdateExclusiveLock')) return '#e6b800';
  return '#9aa5b1';
}

const BLOCKER_COLOR: Record<string, string> = { migration: '#d62728', app: '#9467bd', other: '#7f7f7f' };

interface Interval {
  start: number;
  end: number;
}

export function renderTimeline(report: Report): string {
  const origin = timeOrigin(report);
  if (origin === null) return '<p class="muted">No statement ran: nothing to draw.</p>';
  const rel = (epoch: number) => epoch - origin;

  // the domain: statements, lock holds, waits, latency buckets
  const spans: Interval[] = [];
  for (const m of report.migrations) for (const s of m.statements) spans.push({ start: s.offsetMs, end: s.offsetMs + Math.max(s.durationMs, s.lockHeldMs) });
  const blocking = (report.blocking ?? []).filter((b) => Number.isFinite(blockingStart(b)));
  for (const b of blocking) spans.push({ start: rel(blockingStart(b)), end: rel(blockingStart(b)) + b.waitMs });
  const apps = (report.workload?.apps ?? []).filter((a) => a.queries.some((q) => (q.timeline?.buckets.length ?? 0) > 0));
  for (const a of apps)
    for (const q of a.queries) for (const bk of q.timeline?.buckets ?? []) spans.push({ start: rel(bk.t), end: rel(bk.t) + (q.timeline?.bucketMs ?? 1000) });
  let t0 = Math.min(0, ...spans.map((s) => s.start));
  let t1 = Math.max(1, ...spans.map((s) => s.end));
  const pad = (t1 - t0) * 0.01;
  t0 -= pad;
  t1 += pad;
  const x = (t: number) => LABEL + ((t - t0) / (t1 - t0)) * PLOT;
  const w = (ms: number) => Math.max(1.5, (ms / (t1 - t0)) * PLOT);

  const out: string[] = [];
  let y = AXIS;

  // migration lanes
  const migrationRows: string[] = [];
  for (const m of report.migrations) {
    const ran = m.statements;
    const label = `${m.id} ${m.name}`;
    migrationRows.push(
      `<text class="lane-label" x="${LABEL - 8}" y="${n(y + 15)}" text-anchor="end">${esc(oneLine(label, 36))}<title>${esc(label)} — ${esc(m.status)}, ${esc(fmtMs(m.durationMs))}</title></text>`,
    );
    if (ran.length) {
      const start = Math.min(...ran.map((s) => s.offsetMs));
      const end = Math.max(...ran.map((s) => s.offsetMs + Math.max(s.durationMs, s.lockHeldMs)));
      migrationRows.push(
        `<rect data-kind="migration" data-migration="${esc(m.id)}" class="migration ${esc(m.status)}" x="${n(x(start))}" y="${n(y + 1)}" width="${n(w(end - start))}" height="${LANE - 2}" rx="2"><title>${esc(label)}: ${esc(m.status)}, ${esc(fmtMs(m.durationMs))}</title></rect>`,
      );
    }
    for (const s of ran) {
      const strongest = s.strongestLocks[0];
      const tip =
        `${m.id} statement ${s.index + 1} (${fileLine(s.file, s.line)})\n${oneLine(s.sql, 160)}\nduration ${fmtMs(s.durationMs)}` +
        (strongest ? `\n${lockName(strongest.mode)} on ${strongest.relation}, held ${fmtMs(s.lockHeldMs)}` : '') +
        (s.rewrites.length ? `\nrewrote ${s.rewrites.map((r) => r.relation).join(', ')}` : '') +
        (s.maxBlockedMs ? `\nblocked app queries up to ${fmtMs(s.maxBlockedMs)}` : '') +
        (s.error ? `\n${s.error.sqlstate} ${s.error.message}` : '');
      if (s.lockHeldMs > 0 && strongest) {
        migrationRows.push(
          `<rect data-kind="lock-hold" class="lock-hold" x="${n(x(s.offsetMs))}" y="${n(y + 15)}" width="${n(w(s.lockHeldMs))}" height="4" fill="${lockColor(strongest.mode)}"><title>${esc(`${lockName(strongest.mode)} on ${strongest.relation} held ${fmtMs(s.lockHeldMs)}`)}</title></rect>`,
        );
      }
      migrationRows.push(
        `<rect data-kind="statement" data-migration="${esc(m.id)}" data-index="${s.index}" class="statement${s.error ? ' failed' : ''}${s.rewrites.length ? ' rewrite' : ''}" x="${n(x(s.offsetMs))}" y="${n(y + 4)}" width="${n(w(s.durationMs))}" height="10"><title>${esc(tip)}</title></rect>`,
      );
    }
    y += LANE;
  }
  const migrationsBottom = y;

  // blocking lanes: one per blocked app query
  const lanes = new Map<string, typeof blocking>();
  for (const b of blocking) {
    const key = `${b.app}/${b.query}`;
    lanes.set(key, [...(lanes.get(key) ?? []), b]);
  }
  const blockingRows: string[] = [];
  if (lanes.size) {
    blockingRows.push(`<text class="section-label" x="8" y="${n(y + 16)}">blocked queries</text>`);
    y += LANE;
    for (const [key, waits] of [...lanes.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      blockingRows.push(
        `<text class="lane-label" x="${LABEL - 8}" y="${n(y + 15)}" text-anchor="end">${esc(oneLine(key, 36))}<title>${esc(key)}</title></text>`,
      );
      for (const b of waits) {
        const start = rel(blockingStart(b));
        const by = b.migrationId !== null ? `migration ${b.migrationId} statement ${(b.statementIndex ?? 0) + 1}` : b.blockerKind;
        blockingRows.push(
          `<rect data-kind="blocking" class="blocking" x="${n(x(start))}" y="${n(y + 4)}" width="${n(w(b.waitMs))}" height="14" fill="${BLOCKER_COLOR[b.blockerKind] ?? '#7f7f7f'}"><title>${esc(`${key} waited ${fmtMs(b.waitMs)} on ${by} (root blocker ${b.rootBlocker})`)}</title></rect>`,
        );
      }
      y += LANE;
    }
  }

  // latency: per app, p99 per bucket of each query, errors as bars
  const chartRows: string[] = [];
  for (const a of apps) {
    y += 8;
    const top = y;
    const bottom = y + CHART;
    const buckets = a.queries.flatMap((q) => q.timeline?.buckets ?? []);
    const maxP99 = niceMax(Math.max(1, ...buckets.map((b) => b.p99Ms ?? 0)));
    const maxErr = Math.max(1, ...buckets.map((b) => b.errors));
    const yOf = (v: number) => bottom - (v / maxP99) * CHART;
    chartRows.push(`<text class="lane-label" x="${LABEL - 8}" y="${n(top + 14)}" text-anchor="end">${esc(oneLine(`${a.name} p99 latency`, 36))}</text>`);
    chartRows.push(`<text class="tick" x="${LABEL - 8}" y="${n(top + 28)}" text-anchor="end">max ${esc(fmtMs(maxP99))}</text>`);
    chartRows.push(`<rect class="chart-bg" x="${LABEL}" y="${n(top)}" width="${PLOT}" height="${CHART}"/>`);
    a.queries.forEach((q, qi) => {
      const color = PALETTE[qi % PALETTE.length]!;
      const bucketMs = q.timeline?.bucketMs ?? 1000;
      const pts = (q.timeline?.buckets ?? []).filter((b) => b.p99Ms !== null).map((b) => `${n(x(rel(b.t) + bucketMs / 2))},${n(yOf(b.p99Ms!))}`);
      if (pts.length)
        chartRows.push(
          `<polyline data-kind="latency" class="latency" points="${pts.join(' ')}" stroke="${color}"><title>${esc(`${a.name}/${q.name} p99 per ${fmtMs(bucketMs)}`)}</title></polyline>`,
        );
      for (const b of q.timeline?.buckets ?? []) {
        if (b.errors <= 0) continue;
        const h = Math.max(2, (b.errors / maxErr) * CHART * 0.4);
        chartRows.push(
          `<rect data-kind="errors" class="errors" x="${n(x(rel(b.t)))}" y="${n(bottom - h)}" width="${n(w(bucketMs))}" height="${n(h)}"><title>${esc(`${a.name}/${q.name}: ${b.errors} errors of ${b.count}`)}</title></rect>`,
        );
      }
      chartRows.push(`<text class="legend" x="${n(LABEL + 6 + qi * 150)}" y="${n(top + 12)}" style="fill:${color}">${esc(oneLine(q.name, 22))}</text>`);
    });
    y = bottom;
  }

  const height = y + 12;
  // axis and migration boundaries
  const step = niceStep((t1 - t0) / 10);
  const ticks: string[] = [];
  for (let i = Math.ceil(t0 / step); i * step <= t1; i++) {
    const t = i * step;
    ticks.push(`<line class="grid" x1="${n(x(t))}" x2="${n(x(t))}" y1="${AXIS - 4}" y2="${n(height - 8)}"/>`);
    ticks.push(`<text class="tick" x="${n(x(t))}" y="${AXIS - 10}" text-anchor="middle">${esc(axisLabel(t, step))}</text>`);
  }
  out.push(
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${n(height)}" width="${WIDTH}" height="${n(height)}" role="img" aria-label="timeline of the migrations">`,
    ...ticks,
    `<line class="zero" x1="${n(x(0))}" x2="${n(x(0))}" y1="${AXIS - 4}" y2="${n(height - 8)}"/>`,
    ...migrationRows,
    migrationsBottom < y ? `<line class="sep" x1="0" x2="${WIDTH}" y1="${n(migrationsBottom + 2)}" y2="${n(migrationsBottom + 2)}"/>` : '',
    ...blockingRows,
    ...chartRows,
    '</svg>',
  );
  return out.filter(Boolean).join('\n');
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-3)));
  for (const k of [1, 2, 5, 10]) if (k * p >= raw) return k * p;
  return 10 * p;
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 2, 2.5, 5, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}

function axisLabel(t: number, step: number): string {
  if (Math.abs(t) < 1e-9) return '0';
  if (step >= 1000) return `${Number((t / 1000).toFixed(step >= 10_000 ? 0 : 1))} s`;
  return `${Number(t.toFixed(step >= 1 ? 0 : 2))} ms`;
}
