import { measuredAndPredicted } from './prediction.ts';
import { maskSecrets } from '../../core/mask.ts';
import { clean, fileLine, fmtMs } from '../format/text.ts';
import type { ReportMigration, Report } from '../model/types.ts';
import { findingsJunitCases } from './findings.ts';

/**
 * JUnit XML for CI test tabs: a testcase per migration (failure: the statement, file:line,
 * SQLSTATE and message; skipped: not run after a failure) and per budget (failure: each
 * violation; skipped: not applicable), and the checks the run made (rollback, drift, expected
 * schema, baseline). A pure function of the report.
 */
export function renderJunit(report: Report): string {
  const suites: Suite[] = [migrationsSuite(report), budgetsSuite(report), checksSuite(report), { name: 'findings', cases: findingsJunitCases(report) }].filter(
    (s) => s.cases.length > 0 || s.name === 'migrations',
  );
  const count = (f: (c: Case) => boolean) => suites.reduce((t, s) => t + s.cases.filter(f).length, 0);
  const time = secs(report.run.durationMs);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="pg-rehearse" tests="${count(() => true)}" failures="${count((c) => c.failure !== undefined)}" errors="${count((c) => c.error !== undefined)}" skipped="${count((c) => c.skipped !== undefined)}" time="${time}">`,
  );
  for (const s of suites) {
    out.push(
      `  <testsuite name="${attr(s.name)}" tests="${s.cases.length}" failures="${s.cases.filter((c) => c.failure).length}" errors="${s.cases.filter((c) => c.error).length}" skipped="${s.cases.filter((c) => c.skipped !== undefined).length}" time="${secs(s.cases.reduce((t, c) => t + c.ms, 0))}" timestamp="${attr(report.run.startedAt.replace(/Z$/, ''))}">`,
    );
    for (const c of s.cases) {
      const open = `    <testcase classname="pg-rehearse.${attr(s.name)}" name="${attr(c.name)}"${c.file ? ` file="${attr(c.file)}"` : ''} time="${secs(c.ms)}"`;
      if (c.failure === undefined && c.error === undefined && c.skipped === undefined && c.out === undefined) {
        out.push(`${open}/>`);
        continue;
      }
      out.push(`${open}>`);
      if (c.failure) out.push(`      <failure message="${attr(c.failure.message)}" type="${attr(c.failure.type)}">${text(c.failure.body)}</failure>`);
      if (c.error) out.push(`      <error message="${attr(c.error.message)}" type="${attr(c.error.type)}">${text(c.error.body)}</error>`);
      if (c.skipped !== undefined) out.push(`      <skipped message="${attr(c.skipped)}"/>`);
      if (c.out) out.push(`      <system-out>${text(c.out)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

interface Problem {
  message: string;
  type: string;
  body: string;
}
interface Case {
  name: string;
  file?: string;
  ms: number;
  failure?: Problem;
  error?: Problem;
  skipped?: string;
  out?: string;
}
interface Suite {
  name: string;
  cases: Case[];
}

function migrationCase(m: ReportMigration): Case {
  const c: Case = { name: `${m.id} ${m.name}`, file: m.file, ms: m.durationMs };
  const failed = m.statements.find((s) => s.error);
  if (m.status === 'failed') {
    const e = failed?.error;
    c.failure = e
      ? {
          message: `${fileLine(e.file, e.line)}: ${e.sqlstate} ${clean(e.message)}`,
          type: e.sqlstate,
          // each piece cleaned on its own (row data is cut out of the detail, not of the SQL)
          body: [
            `${fileLine(e.file, e.line)}: ${e.sqlstate} ${clean(e.message)}`,
            e.detail && clean(e.detail),
            e.hint && `hint: ${clean(e.hint)}`,
            '',
            failed!.sql,
          ]
            .filter((x) => x !== undefined)
            .join('\n'),
        }
      : { message: `migration ${m.id} failed`, type: 'failed', body: `migration ${m.id} failed` };
  } else if (m.status === 'skipped') {
    c.skipped = 'not run: an earlier migration failed';
  }
  if (m.statements.length) {
    c.out = m.statements
      .map(
        (s) =>
          `${fileLine(s.file, s.line)}: ${fmtMs(s.durationMs)}${s.lockHeldMs > 0 ? `, lock held ${fmtMs(s.lockHeldMs)}` : ''}${s.strongestLocks.length ? ` (${s.strongestLocks.map((l) => `${l.relation}: ${l.mode}`).join(', ')})` : ''}${s.rewrites.length ? `, rewrote ${s.rewrites.map((r) => r.relation).join(', ')}` : ''}${measuredAndPredicted(s) ? ` · ${measuredAndPredicted(s)}` : ''}`,
      )
      .join('\n');
  }
  return c;
}

function migrationsSuite(report: Report): Suite {
  const cases = report.migrations.map(migrationCase);
  if (report.run.status === 'error') {
    const e = report.run.error;
    cases.push({
      name: 'run',
      ms: report.run.durationMs,
      error: {
        message: clean(e?.message ?? 'the run could not finish'),
        type: e?.kind ?? 'error',
        body: [e?.message, e?.hint]
          .filter(Boolean)
          .map((x) => clean(x!))
          .join('\n'),
      },
    });
  }
  return { name: 'migrations', cases };
}

function budgetsSuite(report: Report): Suite {
  return {
    name: 'budgets',
    cases: (report.budgets?.results ?? []).map((b) => {
      const c: Case = { name: b.name, ms: 0 };
      if (b.skipped) c.skipped = b.skipped;
      else if (!b.ok) {
        const n = b.violations.length;
        c.failure = {
          message: `${n} violation${n === 1 ? '' : 's'} of: ${b.description}`,
          type: 'budget',
          body: b.violations.map((v) => `${v.file ? `${fileLine(v.file, v.line)}: ` : ''}${clean(v.message)}`).join('\n'),
        };
      } else c.out = b.description;
      return c;
    }),
  };
}

function checksSuite(report: Report): Suite {
  const cases: Case[] = [];
  const rb = report.rollback;
  if (rb) {
    const c: Case = { name: 'rollback restores the starting schema', ms: rb.migrations.reduce((t, m) => t + m.durationMs, 0) };
    if (!rb.restored) {
      const e = rb.migrations.flatMap((m) => m.statements).find((s) => s.error)?.error;
      c.failure = {
        message: e ? `${fileLine(e.file, e.line)}: ${e.sqlstate} ${clean(e.message)}` : 'the down migrations did not restore the starting schema',
        type: 'rollback',
        body: diffText(rb.diff),
      };
    }
    if (rb.dataLoss.length) c.out = rb.dataLoss.map((w) => `data loss: ${clean(w.message)} (${fileLine(w.file, w.line)})`).join('\n');
    cases.push(c);
  }
  if (report.drift) {
    const c: Case = { name: 'no drift from the migration history', ms: 0 };
    if (report.drift.drifted) c.failure = { message: 'the database differs from what the migrations build', type: 'drift', body: diffText(report.drift.diff) };
    cases.push(c);
  }
  if (report.expectedSchema) {
    const e = report.expectedSchema;
    const c: Case = { name: `final schema matches ${e.file}`, ms: 0 };
    if (!e.matches) c.failure = { message: `the final schema differs from ${e.file}`, type: 'expected-schema', body: diffText(e.diff) };
    cases.push(c);
  }
  const cmp = report.comparison;
  if (cmp) {
    const c: Case = { name: `no regression against ${cmp.baseline.file}`, ms: 0 };
    if (cmp.regressions > 0) {
      const lines = [
        ...cmp.statements
          .filter((s) => s.regression)
          .map(
            (s) =>
              `${fileLine(s.file, s.line)}: duration ${fmtMs(s.durationMs.before)} → ${fmtMs(s.durationMs.after)}, lock held ${fmtMs(s.lockHeldMs.before)} → ${fmtMs(s.lockHeldMs.after)}`,
          ),
        ...cmp.queries.filter((q) => q.p99Ms.regression).map((q) => `${q.app}/${q.query}: p99 ${fmtMs(q.p99Ms.before)} → ${fmtMs(q.p99Ms.after)}`),
        ...cmp.newFailures.map((f) => `new failure: ${clean(f.message)}`),
      ];
      c.failure = {
        message: `${cmp.regressions} regression${cmp.regressions === 1 ? '' : 's'} (over +${cmp.thresholdPct} % and ${fmtMs(cmp.minDeltaMs)})`,
        type: 'regression',
        body: lines.join('\n'),
      };
    }
    cases.push(c);
  }
  return { name: 'checks', cases };
}

function diffText(d: { added: { object: string }[]; removed: { object: string }[]; changed: { object: string; attribute: string }[] }): string {
  return [...d.added.map((o) => `+ ${o.object}`), ...d.removed.map((o) => `- ${o.object}`), ...d.changed.map((c) => `~ ${c.object} ${c.attribute}`)].join('\n');
}

const secs = (ms: number) => (ms / 1000).toFixed(3);
/** XML 1.0 allows no control characters but tab, newline, carriage return. Passwords masked. */
// eslint-disable-next-line no-control-regex
const xmlSafe = (s: string) => maskSecrets(s).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '�');
const text = (s: string) => xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const attr = (s: string) => text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
