import type { Budget } from './types.ts';
import { allStatements } from '../queries.ts';
import type { Report } from '../../model/types.ts';

/** noInvalidIndex: no invalid index (left by a failed or interrupted concurrent build) in the final schema. */
export const noInvalidIndex: Budget = {
  name: 'noInvalidIndex',
  unit: 'count',
  limit: (c) => (c.noInvalidIndex ? 0 : null),
  describe: () => 'no invalid index left in the final schema (a failed CREATE INDEX CONCURRENTLY)',
  evaluate({ report }) {
    return {
      violations: report.schemaHazards
        .filter((h) => h.kind === 'invalid_index')
        .map((h) => {
          const at = creator(report, h.object);
          return {
            migrationId: at?.m.id ?? null,
            statementIndex: at?.s.index ?? null,
            file: at?.s.file ?? null,
            line: at?.s.line ?? null,
            value: 1,
            message: `${at ? `${at.m.id} statement ${at.s.index + 1} left ` : ''}${h.message}`,
          };
        }),
    };
  },
};

/** The statement that built the index: a CREATE INDEX naming it, a failed one first. */
function creator(report: Report, object: string) {
  const name = object
    .replace(/^[a-z_]+:/, '')
    .split('.')
    .at(-1)!
    .replace(/"/g, '');
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`INDEX\\s+(?:CONCURRENTLY\\s+)?(?:IF\\s+NOT\\s+EXISTS\\s+)?(?:"?[\\w$]+"?\\.)?"?${escaped}"?(?![\\w$])`, 'i');
  const candidates = allStatements(report).filter(({ s }) => re.test(s.sql));
  return candidates.find(({ s }) => s.error) ?? candidates.at(-1) ?? allStatements(report).find(({ s }) => s.error && /INDEX/i.test(s.sql)) ?? null;
}
