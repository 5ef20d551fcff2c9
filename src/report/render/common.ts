import type { Report } from '../model/types.ts';
import { fmtInt, fmtMs } from '../format/text.ts';

/** What the Markdown, HTML and terminal renderers share beyond the format helpers. */

/** The one-line headline of the run. */
export function headline(report: Report): string {
  const pg = report.postgres ? `PostgreSQL ${report.postgres.version} (${report.postgres.provider})` : 'PostgreSQL not started';
  const ds = report.dataset;
  const data = ds ? `dataset: ${ds.tables.length} tables, ${fmtInt(ds.tables.reduce((t, x) => t + x.rows, 0))} rows` : 'no dataset';
  const s = report.summary;
  return `${pg} · ${data} · ${s.applied} applied, ${s.failed} failed, ${s.skipped} skipped · ${s.statements} statements · ${s.rewrites} rewrites · ${fmtMs(s.totalDurationMs)} of migrations`;
}
