import { describe, expect, it } from 'vitest';
import { fromAtlasRevisions, fromGooseVersions, fromLiquibaseChangelog, fromSqitchChanges, markPending } from '../src/migrations/pending.ts';

/** How the rows of each new tool's table read, as the tool reads them (pure; the DB tests read real tables). */
describe('tracking rows', () => {
  it('Atlas: a baseline covers every version up to its own; complete revisions are applied', () => {
    const applied = fromAtlasRevisions('atlas_schema_revisions.atlas_schema_revisions', [
      { version: '20240102000000', type: 1, applied: 0, total: 0, error: null },
      { version: '20240104000000', type: 2, applied: 3, total: 3, error: null },
      { version: '.atlas_cloud_identifiers', type: 0, applied: 0, total: 0, error: null },
    ]);
    const ids = ['20240101000000', '20240102000000', '20240103000000', '20240104000000'].map((id) => ({ id }));
    expect(markPending(ids, applied).map((m) => m.pending)).toEqual([false, false, true, false]);
  });

  it('goose: the newest row of a version decides; version 0 is not a migration', () => {
    const applied = fromGooseVersions('goose_db_version', [
      { version_id: '3', is_applied: false },
      { version_id: '2', is_applied: true },
      { version_id: '3', is_applied: true },
      { version_id: '0', is_applied: true },
    ]);
    expect(applied.versions).toEqual(['2']);
  });

  it('sqitch: a change deployed once covers its first occurrence in the plan only', () => {
    const sources = [
      { id: '1', trackingKey: 'users' },
      { id: '2', trackingKey: 'countries' },
      { id: '3', trackingKey: 'users' },
    ];
    expect(fromSqitchChanges('sqitch.changes', ['users'], sources).versions).toEqual(['1']);
    expect(fromSqitchChanges('sqitch.changes', ['users', 'countries', 'users'], sources).versions).toEqual(['1', '2', '3']);
  });

  it('Liquibase: a FAILED row does not count; the id and author identify a changeset', () => {
    const sources = [
      { id: '1', trackingKey: '1::alice' },
      { id: '2', trackingKey: '2::alice' },
      { id: '3', trackingKey: '2::bob' },
    ];
    const rows = [
      { id: '1', author: 'alice', exectype: 'EXECUTED' },
      { id: '2', author: 'alice', exectype: 'FAILED' },
      { id: '2', author: 'bob', exectype: 'MARK_RAN' },
    ];
    expect(fromLiquibaseChangelog('databasechangelog', rows, sources).versions).toEqual(['1', '3']);
  });
});
