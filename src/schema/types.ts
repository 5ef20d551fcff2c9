/**
 * The schema model: what a database's structure is, as plain JSON-safe data read from the system
 * catalogs, keyed by a stable identity so two models can be compared without caring about oids or
 * the order the catalogs return rows in. See docs/schema-model.md.
 */

/** A JSON value: the model is plain data (bigints are decimal strings). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export type ObjectKind =
  | 'schema'
  | 'extension'
  | 'table'
  | 'column'
  | 'constraint'
  | 'index'
  | 'trigger'
  | 'view'
  | 'materialized_view'
  | 'sequence'
  | 'enum'
  | 'function'
  | 'procedure'
  | 'policy';

/**
 * What every object has. Only `attributes` is compared by `diffSchemas`; the other fields are
 * identity, structure (`parent`) and facts for readers and hazards.
 */
export interface ObjectBase<K extends ObjectKind, A extends Record<string, Json>> {
  kind: K;
  /** stable identity, e.g. `table:public.orders` (docs/schema-model.md lists every form) */
  key: string;
  /**
   * the object this one goes away with: the schema of a table, the table of a column, the
   * constraint an index enforces, the column that owns a sequence, the partitioned table of a
   * partition; null for schemas and extensions. A diff lists an added or removed object under the
   * top-most of its ancestors that was added or removed too.
   */
  parent: string | null;
  /** a one-line human-readable summary for reports; never compared */
  definition?: string;
  /** compared one by one: a difference is one `changed` entry per attribute */
  attributes: A;
}

// ---------------------------------------------------------------------------------------------
// attributes, per kind (what is compared)

export type SchemaAttributes = Record<string, never>;

export type ExtensionAttributes = {
  version: string;
  schema: string;
};

export type TableKind = 'table' | 'partitioned table' | 'foreign table';
export type Persistence = 'permanent' | 'unlogged' | 'temporary';

export type TableAttributes = {
  tableKind: TableKind;
  persistence: Persistence;
  /** pg_get_partkeydef, e.g. `RANGE (created_at)`; null unless partitioned */
  partitionKey: string | null;
  /** key of the partitioned table this is a partition of */
  partitionOf: string | null;
  /** pg_get_expr(relpartbound), e.g. `FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')` */
  partitionBound: string | null;
  /** keys of the tables it inherits from (classic inheritance, not partitioning), in order */
  inherits: string[];
  /** storage parameters (reloptions), sorted, e.g. `fillfactor=70` */
  options: string[];
  /** table access method (heap, ...); null for partitioned tables without one and foreign tables */
  accessMethod: string | null;
  /** ALTER TABLE ... ENABLE ROW LEVEL SECURITY */
  rowSecurity: boolean;
  /** ALTER TABLE ... FORCE ROW LEVEL SECURITY */
  forceRowSecurity: boolean;
};

export type IdentityKind = 'always' | 'by default';
export type GeneratedKind = 'stored' | 'virtual';

export type ColumnAttributes = {
  /** format_type, e.g. `numeric(12,2)`, `character varying(80)`, `public.order_status` */
  type: string;
  notNull: boolean;
  /** pg_get_expr of the default; for a generated column, its generation expression */
  default: string | null;
  identity: IdentityKind | null;
  generated: GeneratedKind | null;
  /** qualified collation name when it is not the type's default collation */
  collation: string | null;
};

export type ConstraintType = 'primary key' | 'foreign key' | 'unique' | 'check' | 'exclusion';

export type ConstraintAttributes = {
  /** pg_get_constraintdef without its trailing ` NOT VALID` (that is `validated`) */
  definition: string;
  /** false for a constraint added NOT VALID and never validated */
  validated: boolean;
};

export type IndexAttributes = {
  /** pg_get_indexdef: method, columns, uniqueness, predicate, options */
  definition: string;
  /** pg_index.indisvalid: false after a failed CREATE INDEX CONCURRENTLY */
  valid: boolean;
  /** pg_index.indisready: false while (or when stuck) not yet receiving inserts */
  ready: boolean;
  /** key of the partitioned index this partition's index is attached to */
  attachedTo: string | null;
};

export type TriggerEnabled = 'origin' | 'disabled' | 'replica' | 'always';

export type TriggerAttributes = {
  /** pg_get_triggerdef */
  definition: string;
  enabled: TriggerEnabled;
};

export type ViewAttributes = {
  /** pg_get_viewdef (names fully qualified) */
  definition: string;
  /** reloptions, sorted, e.g. `security_barrier=true`, `check_option=local` */
  options: string[];
};

export type MaterializedViewAttributes = ViewAttributes & {
  /** false for WITH NO DATA until the first REFRESH */
  populated: boolean;
};

export type SequenceAttributes = {
  /** smallint, integer or bigint */
  dataType: string;
  /** decimal strings: bigint does not fit a JSON number */
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** key of the column that owns it (serial, identity, OWNED BY) */
  ownedBy: string | null;
  /** true for the sequence behind an identity column */
  identity: boolean;
};

export type EnumAttributes = {
  /** labels in their sort order */
  labels: string[];
};

export type Volatility = 'immutable' | 'stable' | 'volatile';
export type Parallel = 'safe' | 'restricted' | 'unsafe';

export type FunctionAttributes = {
  /** pg_get_function_arguments: names, modes, types and defaults */
  arguments: string;
  /** pg_get_function_result; null for a procedure */
  returns: string | null;
  language: string;
  volatility: Volatility;
  strict: boolean;
  securityDefiner: boolean;
  leakproof: boolean;
  parallel: Parallel;
  /** SET clauses (proconfig), sorted */
  config: string[];
  /** sha256 (first 16 hex digits) of the language, the body (prosrc, or the SQL-standard body) and probin */
  bodyHash: string;
};

export type PolicyCommand = 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

export type PolicyAttributes = {
  command: PolicyCommand;
  permissive: boolean;
  /** role names, sorted; `public` for PUBLIC */
  roles: string[];
  using: string | null;
  withCheck: string | null;
};

// ---------------------------------------------------------------------------------------------
// objects (attributes + facts that are not compared)

export type SchemaNamespace = ObjectBase<'schema', SchemaAttributes> & { name: string };
export type ExtensionObject = ObjectBase<'extension', ExtensionAttributes> & { name: string };
export type TableObject = ObjectBase<'table', TableAttributes> & { schema: string; name: string };

export type ColumnObject = ObjectBase<'column', ColumnAttributes> & {
  /** key of its table */
  table: string;
  name: string;
  /** 1-based rank in the table's column list (dropped columns skipped); compared only as columnOrderOnly */
  position: number;
  /** for a column a partition or inheritance child has from its parent: key of the parent's column */
  inheritedFrom: string | null;
};

export type ForeignKeyAction = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';

export type ConstraintObject = ObjectBase<'constraint', ConstraintAttributes> & {
  table: string;
  name: string;
  constraintType: ConstraintType;
  /** the constrained columns (conkey order); empty for a check on an expression only */
  columns: string[];
  /** foreign key: key of the referenced table */
  references: string | null;
  onUpdate: ForeignKeyAction | null;
  onDelete: ForeignKeyAction | null;
  /** for a check constraint a table inherits: key of the parent's constraint */
  inheritedFrom: string | null;
};

export type IndexObject = ObjectBase<'index', IndexAttributes> & {
  /** key of the table or materialized view it indexes */
  table: string;
  name: string;
  unique: boolean;
  primary: boolean;
  /** the WHERE of a partial index */
  predicate: string | null;
  /** key columns in order; null for an expression */
  keyColumns: (string | null)[];
};

export type TriggerObject = ObjectBase<'trigger', TriggerAttributes> & { table: string; name: string };
export type ViewObject = ObjectBase<'view', ViewAttributes> & { schema: string; name: string };
export type MaterializedViewObject = ObjectBase<'materialized_view', MaterializedViewAttributes> & { schema: string; name: string };

export type SequenceObject = ObjectBase<'sequence', SequenceAttributes> & {
  schema: string;
  name: string;
  /** pg_sequence_last_value: volatile state, never compared (null before the first nextval, or without privilege) */
  lastValue: string | null;
};

export type EnumObject = ObjectBase<'enum', EnumAttributes> & { schema: string; name: string };

export type FunctionObject = ObjectBase<'function' | 'procedure', FunctionAttributes> & {
  schema: string;
  name: string;
  /** pg_get_function_identity_arguments: part of the key */
  identityArguments: string;
};

export type PolicyObject = ObjectBase<'policy', PolicyAttributes> & { table: string; name: string };

export type SchemaObject =
  | SchemaNamespace
  | ExtensionObject
  | TableObject
  | ColumnObject
  | ConstraintObject
  | IndexObject
  | TriggerObject
  | ViewObject
  | MaterializedViewObject
  | SequenceObject
  | EnumObject
  | FunctionObject
  | PolicyObject;

/** The structure of one database. */
export interface SchemaModel {
  /** server_version of the server it was read from; informative, never compared */
  serverVersion: string;
  /** every object by key, keys in sorted order */
  objects: Record<string, SchemaObject>;
}

// ---------------------------------------------------------------------------------------------
// diff

export interface ObjectRef {
  object: string;
  kind: ObjectKind;
  definition?: string;
  /**
   * keys of the objects added or removed with it (a dropped table's columns, indexes,
   * constraints, ...), sorted; absent when there are none
   */
  includes?: string[];
}

export interface AttributeChange {
  object: string;
  kind: ObjectKind;
  attribute: string;
  before: Json;
  after: Json;
}

export interface ColumnOrderChange {
  /** key of the table */
  table: string;
  /** column names in position order */
  before: string[];
  after: string[];
}

/** How `after` differs from `before`; every list is sorted (by key, then attribute). */
export interface SchemaDiff {
  added: ObjectRef[];
  removed: ObjectRef[];
  changed: AttributeChange[];
  /** tables whose columns are the same but in another order (a rollback re-adds columns at the end) */
  columnOrderOnly: ColumnOrderChange[];
}

// ---------------------------------------------------------------------------------------------
// hazards

export type SchemaHazardKind = 'invalid_index' | 'constraint_not_valid' | 'sequence_near_max' | 'foreign_key_without_index';

export interface SchemaHazard {
  kind: SchemaHazardKind;
  /** key of the object concerned */
  object: string;
  /** what is wrong and what to do about it */
  message: string;
}

export interface HazardOptions {
  /** fraction of the maximum a sequence may reach before it is flagged (default 0.8) */
  sequenceThreshold?: number;
}
