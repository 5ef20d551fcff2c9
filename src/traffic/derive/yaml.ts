import { Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import type { DerivedWorkload } from './types.ts';

/**
 * The derived workload as an ordinary workload file (docs/workload.md) a person can read and edit:
 * a header saying where it came from and what was left out, each query's production figures as
 * the comment above it, the statements that could not be bound listed at the end with the reason.
 */
export function workloadYaml(w: DerivedWorkload): string {
  const apps = Object.fromEntries(
    w.apps.map((a) => [
      a.name,
      {
        role: a.role,
        clients: a.clients,
        queries: a.queries.map((q) => ({ name: q.name, sql: q.sql, ...(q.params.length ? { params: q.params } : {}), rate: q.rate })),
      },
    ]),
  );
  const background = w.background.map((b) => ({ name: b.name, app: b.app, at: b.at, transaction: b.steps.map((sql) => ({ sql })) }));
  const doc = new Document({ apps, ...(background.length ? { background } : {}) });
  doc.commentBefore = w.summary.map((l) => ` ${l}`).join('\n');
  for (const a of w.apps) {
    const app = doc.getIn(['apps', a.name], true) as YAMLMap;
    const clients = app.items.find((p) => (p.key as { value?: unknown }).value === 'clients');
    if (clients) (clients.key as { commentBefore?: string }).commentBefore = ` clients: ${a.clientsBasis}`;
    const queries = doc.getIn(['apps', a.name, 'queries'], true) as YAMLSeq;
    a.queries.forEach((q, i) => {
      const node = queries.items[i] as YAMLMap;
      node.commentBefore = q.basis.map((l) => ` ${l}`).join('\n');
      const params = node.get('params', true);
      if (isSeq(params)) {
        params.flow = true;
        for (const p of params.items) if (isMap(p)) p.flow = true;
      }
    });
  }
  w.background.forEach((b, i) => {
    (doc.getIn(['background', i], true) as YAMLMap).commentBefore = ` ${b.basis}`;
  });
  if (w.skipped.length) {
    doc.comment = [
      ' Not bound (not run; bind them by hand and move them into a query list):',
      ...w.skipped.map((s) => `   queryid ${s.queryid} (${Math.round(s.callsPerSec * 1000) / 1000} calls/s): ${s.reason}\n     ${s.text.replace(/\n/g, ' ')}`),
    ].join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}
