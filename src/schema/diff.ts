/**
 * diffSchemas(before, after): how the structure changed, pure and deterministic.
 *
 * - An object is added or removed when its key is in one model only. It is listed under the
 *   top-most object it belongs to that was added or removed with it (a dropped table lists the
 *   table, its columns, indexes, constraints, ... in `includes`), so one DDL statement reads as
 *   one difference.
 * - An object in both is changed once per attribute whose value differs.
 * - Column order is compared apart: a table whose shared columns come in another order is in
 *   `columnOrderOnly`, never in `changed` (a rollback re-adds a dropped column at the end).
 */
import { compareKeys } from './identity.ts';
import { jsonEqual } from './json.ts';
import type { AttributeChange, ColumnObject, ColumnOrderChange, Json, ObjectRef, SchemaDiff, SchemaModel, SchemaObject } from './types.ts';

export function diffSchemas(before: SchemaModel, after: SchemaModel): SchemaDiff {
  const removedKeys = keysOnlyIn(before, after);
  const addedKeys = keysOnlyIn(after, before);
  return {
    added: foldUnderOwners(addedKeys, after),
    removed: foldUnderOwners(removedKeys, before),
    changed: attributeChanges(before, after),
    columnOrderOnly: columnOrderChanges(before, after),
  };
}

/** True when nothing differs; column order counts unless `ignoreColumnOrder`. */
export function isEmptyDiff(diff: SchemaDiff, options: { ignoreColumnOrder?: boolean } = {}): boolean {
  return (
    diff.added.length === 0 &&
    diff.removed.length === 0 &&
    diff.changed.length === 0 &&
    (options.ignoreColumnOrder === true || diff.columnOrderOnly.length === 0)
  );
}

function keysOnlyIn(model: SchemaModel, other: SchemaModel): Set<string> {
  return new Set(Object.keys(model.objects).filter((key) => !(key in other.objects)));
}

/**
 * The objects an object comes and goes with: its parent; for a partition's index, the partitioned
 * index it is attached to; for an inherited column or check constraint, the parent's one.
 */
function ownersOf(object: SchemaObject): string[] {
  const owners = object.parent !== null ? [object.parent] : [];
  if (object.kind === 'index' && object.attributes.attachedTo !== null) owners.push(object.attributes.attachedTo);
  if ((object.kind === 'column' || object.kind === 'constraint') && object.inheritedFrom !== null) owners.push(object.inheritedFrom);
  return owners;
}

/** The top-most object of `keys` that `key` belongs to (itself when it belongs to none of them). */
function topOwner(key: string, keys: ReadonlySet<string>, model: SchemaModel, seen = new Set<string>()): string {
  seen.add(key);
  const object = model.objects[key];
  if (!object) return key;
  for (const owner of ownersOf(object)) {
    if (keys.has(owner) && !seen.has(owner)) return topOwner(owner, keys, model, seen);
  }
  return key;
}

function foldUnderOwners(keys: ReadonlySet<string>, model: SchemaModel): ObjectRef[] {
  const members = new Map<string, string[]>();
  for (const key of keys) {
    const top = topOwner(key, keys, model);
    if (!members.has(top)) members.set(top, []);
    if (top !== key) members.get(top)!.push(key);
  }
  return [...members.keys()].sort(compareKeys).map((key) => {
    const object = model.objects[key]!;
    const ref: ObjectRef = { object: key, kind: object.kind };
    if (object.definition !== undefined) ref.definition = object.definition;
    const includes = members.get(key)!;
    if (includes.length > 0) ref.includes = includes.sort(compareKeys);
    return ref;
  });
}

function attributeChanges(before: SchemaModel, after: SchemaModel): AttributeChange[] {
  const changes: AttributeChange[] = [];
  for (const key of Object.keys(before.objects).sort(compareKeys)) {
    const b = before.objects[key]!;
    const a = after.objects[key];
    if (!a) continue;
    const battrs = b.attributes as Record<string, Json>;
    const aattrs = a.attributes as Record<string, Json>;
    const names = [...new Set([...Object.keys(battrs), ...Object.keys(aattrs)])].sort(compareKeys);
    for (const attribute of names) {
      const was = battrs[attribute] ?? null;
      const is = aattrs[attribute] ?? null;
      if (!jsonEqual(was, is)) changes.push({ object: key, kind: a.kind, attribute, before: was, after: is });
    }
  }
  return changes;
}

/** Column names of each table in position order. */
function columnOrders(model: SchemaModel): Map<string, string[]> {
  const columns = new Map<string, ColumnObject[]>();
  for (const object of Object.values(model.objects)) {
    if (object.kind !== 'column') continue;
    if (!columns.has(object.table)) columns.set(object.table, []);
    columns.get(object.table)!.push(object);
  }
  return new Map([...columns].map(([table, cols]) => [table, cols.sort((x, y) => x.position - y.position).map((c) => c.name)]));
}

function columnOrderChanges(before: SchemaModel, after: SchemaModel): ColumnOrderChange[] {
  const was = columnOrders(before);
  const is = columnOrders(after);
  const changes: ColumnOrderChange[] = [];
  for (const table of [...was.keys()].sort(compareKeys)) {
    const b = was.get(table)!;
    const a = is.get(table);
    if (!a) continue;
    // compare the relative order of the columns both have; an added or dropped column is not an order change
    const shared = new Set(b.filter((name) => a.includes(name)));
    const sharedBefore = b.filter((name) => shared.has(name));
    const sharedAfter = a.filter((name) => shared.has(name));
    if (sharedBefore.some((name, i) => sharedAfter[i] !== name)) changes.push({ table, before: b, after: a });
  }
  return changes;
}
