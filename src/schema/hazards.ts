/**
 * schemaHazards(model): what in a final schema will hurt production later, although every
 * migration succeeded. Pure over the model; one rule per function.
 */
import { compareKeys } from './identity.ts';
import type { ColumnObject, ConstraintObject, HazardOptions, IndexObject, SchemaHazard, SchemaModel, SequenceObject } from './types.ts';

const DEFAULT_SEQUENCE_THRESHOLD = 0.8;

export function schemaHazards(model: SchemaModel, options: HazardOptions = {}): SchemaHazard[] {
  const objects = Object.values(model.objects);
  const hazards = [
    ...objects.flatMap((o) => (o.kind === 'index' ? invalidIndex(o, model) : [])),
    ...objects.flatMap((o) => (o.kind === 'constraint' ? constraintNotValid(o) : [])),
    ...objects.flatMap((o) => (o.kind === 'sequence' ? sequenceNearMax(o, model, options.sequenceThreshold ?? DEFAULT_SEQUENCE_THRESHOLD) : [])),
    ...objects.flatMap((o) => (o.kind === 'constraint' ? foreignKeyWithoutIndex(o, model) : [])),
  ];
  return hazards.sort((a, b) => compareKeys(a.object, b.object) || compareKeys(a.kind, b.kind));
}

/** `public.orders` from `table:public.orders`. */
const nameOf = (key: string) => key.slice(key.indexOf(':') + 1);

// --- invalid index ----------------------------------------------------------------------------

export function invalidIndex(index: IndexObject, model: SchemaModel): SchemaHazard[] {
  const { valid, ready } = index.attributes;
  if (valid && ready) return [];
  const name = nameOf(index.key);
  const table = model.objects[index.table];
  const tableName = nameOf(index.table);
  let message: string;
  if (table?.kind === 'table' && table.attributes.tableKind === 'partitioned table') {
    message =
      `index ${name} on partitioned table ${tableName} is invalid: not every partition has an index attached to it. ` +
      `Create the missing partition indexes and ALTER INDEX ${name} ATTACH PARTITION each of them.`;
  } else {
    const state = ready
      ? `it is never used for reads, yet every write to ${tableName} maintains it${index.unique ? ' (and, being unique, rejects new duplicates)' : ''}`
      : 'it is never used (not even ready for writes: indisready = false)';
    message =
      `index ${name} is invalid, as a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY leaves it: ${state}. ` +
      `Fix the cause (duplicate rows, a deadlock, a timeout), DROP INDEX CONCURRENTLY ${name} and create it again.`;
  }
  return [{ kind: 'invalid_index', object: index.key, message }];
}

// --- NOT VALID constraint ---------------------------------------------------------------------

export function constraintNotValid(constraint: ConstraintObject): SchemaHazard[] {
  if (constraint.attributes.validated) return [];
  const table = nameOf(constraint.table);
  return [
    {
      kind: 'constraint_not_valid',
      object: constraint.key,
      message:
        `${constraint.constraintType} constraint ${constraint.name} on ${table} is NOT VALID: new rows are checked, existing rows never were. ` +
        `Run ALTER TABLE ${table} VALIDATE CONSTRAINT ${constraint.name} (it takes only a SHARE UPDATE EXCLUSIVE lock).`,
    },
  ];
}

// --- sequence near its maximum ----------------------------------------------------------------

const integerLimits: Record<string, { min: bigint; max: bigint }> = {
  smallint: { min: -32768n, max: 32767n },
  integer: { min: -2147483648n, max: 2147483647n },
  bigint: { min: -9223372036854775808n, max: 9223372036854775807n },
};

/**
 * The value nextval() can reach before something fails: the sequence's own MAXVALUE (MINVALUE when
 * it counts down), or the range of the integer column it feeds when that is narrower (a bigint
 * sequence behind an integer column fails at the column's maximum).
 */
export function sequenceLimit(sequence: SequenceObject, model: SchemaModel): { limit: bigint; of: string } {
  const descending = BigInt(sequence.attributes.increment) < 0n;
  let limit = BigInt(descending ? sequence.attributes.min : sequence.attributes.max);
  let of = `${descending ? 'MINVALUE' : 'MAXVALUE'} of this ${sequence.attributes.dataType} sequence`;
  const owner = sequence.attributes.ownedBy !== null ? model.objects[sequence.attributes.ownedBy] : undefined;
  const column: ColumnObject | undefined = owner?.kind === 'column' ? owner : undefined;
  const range = column ? integerLimits[column.attributes.type] : undefined;
  if (column && range) {
    const columnLimit = descending ? range.min : range.max;
    if (descending ? columnLimit > limit : columnLimit < limit) {
      limit = columnLimit;
      of = `range of the ${column.attributes.type} column ${nameOf(column.key)}`;
    }
  }
  return { limit, of };
}

/** `part` as a percentage of `whole`, one decimal, rounded (bigint-safe). */
function percent(part: bigint, whole: bigint): string {
  return (Number((part * 100_000n) / whole) / 1000).toFixed(1);
}

export function sequenceNearMax(sequence: SequenceObject, model: SchemaModel, threshold: number): SchemaHazard[] {
  if (sequence.lastValue === null || sequence.attributes.cycle) return [];
  const { limit, of } = sequenceLimit(sequence, model);
  const last = BigInt(sequence.lastValue);
  // same sign: compare magnitudes; a sequence on the other side of zero from its limit is far from it
  const abs = (v: bigint) => (v < 0n ? -v : v);
  if (limit === 0n || last < 0n !== limit < 0n) return [];
  if (abs(last) * 1_000_000n < BigInt(Math.round(threshold * 1_000_000)) * abs(limit)) return [];
  const name = nameOf(sequence.key);
  return [
    {
      kind: 'sequence_near_max',
      object: sequence.key,
      message:
        `sequence ${name} is at ${percent(abs(last), abs(limit))} % of its limit (last value ${last}, limit ${limit}, the ${of}): ` +
        `nextval() will fail when it gets there. Widen it now (ALTER SEQUENCE ${name} AS bigint, and the column it feeds to bigint).`,
    },
  ];
}

// --- foreign key without an index -------------------------------------------------------------

/** An index can serve the FK when it is valid, not partial, and its leading key columns are the FK's columns (any order). */
export function indexCovers(index: IndexObject, columns: readonly string[]): boolean {
  if (!index.attributes.valid || index.predicate !== null || columns.length === 0) return false;
  const leading = index.keyColumns.slice(0, columns.length);
  return leading.length === columns.length && columns.every((c) => leading.includes(c));
}

export function foreignKeyWithoutIndex(constraint: ConstraintObject, model: SchemaModel): SchemaHazard[] {
  if (constraint.constraintType !== 'foreign key' || constraint.columns.length === 0) return [];
  const covered = Object.values(model.objects).some((o) => o.kind === 'index' && o.table === constraint.table && indexCovers(o, constraint.columns));
  if (covered) return [];
  const table = nameOf(constraint.table);
  const columns = constraint.columns.join(', ');
  const referenced = constraint.references !== null ? nameOf(constraint.references) : 'the referenced table';
  return [
    {
      kind: 'foreign_key_without_index',
      object: constraint.key,
      message:
        `foreign key ${constraint.name} on ${table} (${columns}) has no index starting with those columns: every DELETE or key UPDATE ` +
        `on ${referenced} scans ${table}${constraint.onDelete === 'cascade' ? ' (and a cascading delete scans it per row)' : ''}. ` +
        `CREATE INDEX CONCURRENTLY ON ${table} (${columns}).`,
    },
  ];
}
