import { describe, expect, it } from 'vitest';
import { diffSchemas, objectKey, type SchemaModel, type SchemaObject } from '../src/schema/index.ts';

/** Pure tests of diffSchemas over hand-made models (no server). */

const table = (name: string): SchemaObject => ({
  kind: 'table',
  key: objectKey.table('public', name),
  parent: objectKey.schema('public'),
  schema: 'public',
  name,
  definition: 'table',
  attributes: {
    tableKind: 'table',
    persistence: 'permanent',
    partitionKey: null,
    partitionOf: null,
    partitionBound: null,
    inherits: [],
    options: [],
    accessMethod: 'heap',
    rowSecurity: false,
    forceRowSecurity: false,
  },
});

const column = (tableName: string, name: string, position: number, type = 'integer'): SchemaObject => ({
  kind: 'column',
  key: objectKey.column('public', tableName, name),
  parent: objectKey.table('public', tableName),
  table: objectKey.table('public', tableName),
  name,
  position,
  inheritedFrom: null,
  definition: type,
  attributes: { type, notNull: false, default: null, identity: null, generated: null, collation: null },
});

const model = (...objects: SchemaObject[]): SchemaModel => ({
  serverVersion: '17.0',
  objects: Object.fromEntries(objects.map((o) => [o.key, o])),
});

describe('diffSchemas (pure)', () => {
  it('does not depend on the order objects were read in', () => {
    const a = model(table('t'), column('t', 'a', 1), column('t', 'b', 2));
    const b = model(column('t', 'b', 2, 'bigint'), column('t', 'a', 1), table('t'), table('u'));
    const reversed = model(...Object.values(b.objects).reverse());
    expect(diffSchemas(a, b)).toEqual(diffSchemas(a, reversed));
    expect(diffSchemas(a, b)).toEqual({
      added: [{ object: 'table:public.u', kind: 'table', definition: 'table' }],
      removed: [],
      changed: [{ object: 'column:public.t.b', kind: 'column', attribute: 'type', before: 'integer', after: 'bigint' }],
      columnOrderOnly: [],
    });
  });

  it('compares attribute values whatever the order of their keys', () => {
    const a = table('t');
    const b = table('t');
    b.attributes = Object.fromEntries(Object.entries(b.attributes).reverse()) as typeof b.attributes;
    expect(diffSchemas(model(a), model(b)).changed).toEqual([]);
  });

  it('sorts every list by key, then attribute', () => {
    const before = model(table('b'), table('a'), column('a', 'y', 1), column('a', 'x', 2));
    const after = model(table('c'), table('a'), column('a', 'y', 1, 'text'), column('a', 'x', 2, 'text'));
    const diff = diffSchemas(before, after);
    expect(diff.removed.map((r) => r.object)).toEqual(['table:public.b']);
    expect(diff.changed.map((c) => c.object)).toEqual(['column:public.a.x', 'column:public.a.y']);
  });

  it('reports column order apart, on the columns both sides have', () => {
    const before = model(table('t'), column('t', 'a', 1), column('t', 'b', 2), column('t', 'c', 3));
    const after = model(table('t'), column('t', 'a', 1), column('t', 'c', 2), column('t', 'b', 3), column('t', 'd', 4));
    expect(diffSchemas(before, after)).toEqual({
      added: [{ object: 'column:public.t.d', kind: 'column', definition: 'integer' }],
      removed: [],
      changed: [],
      columnOrderOnly: [{ table: 'table:public.t', before: ['a', 'b', 'c'], after: ['a', 'c', 'b', 'd'] }],
    });
  });

  it('lists a table re-created under the same name by its changes, not as removed and added', () => {
    const before = model(table('t'), column('t', 'a', 1));
    const after = model(table('t'), column('t', 'b', 1));
    expect(diffSchemas(before, after)).toEqual({
      added: [{ object: 'column:public.t.b', kind: 'column', definition: 'integer' }],
      removed: [{ object: 'column:public.t.a', kind: 'column', definition: 'integer' }],
      changed: [],
      columnOrderOnly: [],
    });
  });
});
