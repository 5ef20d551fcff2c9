import { describe, expect, it } from 'vitest';
import { diffSchemas, introspect, isEmptyDiff, type SchemaDiff, type SchemaModel } from '../src/schema/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';

/**
 * One change per test: build `setup` in a fresh database, read the schema, run each statement of
 * `change` (one at a time: some must run outside a transaction block), read it again, diff.
 */
async function diffAfter(setup: string, ...change: string[]): Promise<SchemaDiff> {
  const url = await freshDatabase('schema');
  if (setup) await sql(url, setup);
  const before = await introspect(url);
  for (const statement of change) await sql(url, statement);
  return diffSchemas(before, await introspect(url));
}

const empty: SchemaDiff = { added: [], removed: [], changed: [], columnOrderOnly: [] };

/** Only the changed attributes, as object → attribute: before → after. */
const changedOnly = (_diff: SchemaDiff, changed: SchemaDiff['changed']): SchemaDiff => ({ ...empty, changed });

const ordersTable = `
  CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);
  CREATE TABLE orders (
    id serial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    total numeric(12,2) NOT NULL DEFAULT 0,
    note text,
    created_at timestamptz NOT NULL DEFAULT now()
  );`;

describe('introspect', () => {
  it('gives the same model for the same database, and an empty diff without a change', async () => {
    const url = await freshDatabase('schema');
    await sql(url, ordersTable);
    const [a, b] = [await introspect(url), await introspect(url)];
    expect(b).toEqual(a);
    expect(diffSchemas(a, b)).toEqual(empty);
    expect(isEmptyDiff(diffSchemas(a, b))).toBe(true);
    expect(a.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it('keys objects by stable identity and leaves system and extension objects out', async () => {
    const url = await freshDatabase('schema');
    await sql(url, `${ordersTable} CREATE EXTENSION citext; CREATE INDEX orders_created_at_idx ON orders (created_at);`);
    const model: SchemaModel = await introspect(url);
    expect(Object.keys(model.objects)).toEqual([
      'column:public.orders.created_at',
      'column:public.orders.id',
      'column:public.orders.note',
      'column:public.orders.total',
      'column:public.orders.user_id',
      'column:public.users.email',
      'column:public.users.id',
      'constraint:public.orders.orders_pkey',
      'constraint:public.orders.orders_user_id_fkey',
      'constraint:public.users.users_pkey',
      'extension:citext',
      'extension:plpgsql',
      'index:public.orders_created_at_idx',
      'index:public.orders_pkey',
      'index:public.users_pkey',
      'schema:public',
      'sequence:public.orders_id_seq',
      'sequence:public.users_id_seq',
      'table:public.orders',
      'table:public.users',
    ]);
    expect(model.objects['column:public.orders.total']).toMatchObject({
      position: 3,
      attributes: { type: 'numeric(12,2)', notNull: true, default: '0', identity: null, generated: null, collation: null },
    });
    expect(model.objects['constraint:public.orders.orders_user_id_fkey']).toMatchObject({
      constraintType: 'foreign key',
      columns: ['user_id'],
      references: 'table:public.users',
      onDelete: 'no action',
      attributes: { definition: 'FOREIGN KEY (user_id) REFERENCES public.users(id)', validated: true },
    });
    expect(model.objects['sequence:public.users_id_seq']).toMatchObject({
      parent: 'column:public.users.id',
      attributes: { dataType: 'bigint', ownedBy: 'column:public.users.id', identity: true },
    });
  });

  it('quotes names that are not plain identifiers in keys', async () => {
    const diff = await diffAfter('', `CREATE SCHEMA "My.App"; CREATE TABLE "My.App"."Order ""x""" (id int)`);
    expect(diff.added).toEqual([{ object: 'schema:"My.App"', kind: 'schema', includes: ['column:"My.App"."Order ""x""".id', 'table:"My.App"."Order ""x"""'] }]);
  });
});

describe('schemas', () => {
  it('added', async () => {
    expect(await diffAfter('', 'CREATE SCHEMA app')).toEqual({ ...empty, added: [{ object: 'schema:app', kind: 'schema' }] });
  });
  it('removed, with what it held folded under it', async () => {
    const diff = await diffAfter('CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY)', 'DROP SCHEMA app CASCADE');
    expect(diff).toEqual({
      ...empty,
      removed: [
        {
          object: 'schema:app',
          kind: 'schema',
          includes: ['column:app.t.id', 'constraint:app.t.t_pkey', 'index:app.t_pkey', 'table:app.t'],
        },
      ],
    });
  });
});

describe('tables', () => {
  it('added: one difference for the table and everything created with it', async () => {
    const diff = await diffAfter('', 'CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text UNIQUE)');
    expect(diff).toEqual({
      ...empty,
      added: [
        {
          object: 'table:public.t',
          kind: 'table',
          definition: 'table',
          includes: [
            'column:public.t.id',
            'column:public.t.name',
            'constraint:public.t.t_name_key',
            'constraint:public.t.t_pkey',
            'index:public.t_name_key',
            'index:public.t_pkey',
            'sequence:public.t_id_seq',
          ],
        },
      ],
    });
  });

  it('removed: only the table is listed', async () => {
    const diff = await diffAfter(ordersTable + 'CREATE INDEX orders_created_at_idx ON orders (created_at);', 'DROP TABLE orders');
    expect(diff.added).toEqual([]);
    expect(diff.changed).toEqual([]);
    expect(diff.removed.map((r) => r.object)).toEqual(['table:public.orders']);
    expect(diff.removed[0]!.includes).toEqual([
      'column:public.orders.created_at',
      'column:public.orders.id',
      'column:public.orders.note',
      'column:public.orders.total',
      'column:public.orders.user_id',
      'constraint:public.orders.orders_pkey',
      'constraint:public.orders.orders_user_id_fkey',
      'index:public.orders_created_at_idx',
      'index:public.orders_pkey',
      'sequence:public.orders_id_seq',
    ]);
  });

  it('changed: persistence, storage options, row level security', async () => {
    const diff = await diffAfter(
      'CREATE TABLE t (id int)',
      'ALTER TABLE t SET UNLOGGED',
      'ALTER TABLE t SET (fillfactor = 70)',
      'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE t FORCE ROW LEVEL SECURITY',
    );
    expect(diff).toEqual(
      changedOnly(diff, [
        { object: 'table:public.t', kind: 'table', attribute: 'forceRowSecurity', before: false, after: true },
        { object: 'table:public.t', kind: 'table', attribute: 'options', before: [], after: ['fillfactor=70'] },
        { object: 'table:public.t', kind: 'table', attribute: 'persistence', before: 'permanent', after: 'unlogged' },
        { object: 'table:public.t', kind: 'table', attribute: 'rowSecurity', before: false, after: true },
      ]),
    );
  });

  it('partitions: a new partition is one difference; detaching one changes its partitioning only', async () => {
    const setup = `CREATE TABLE events (id int, at date NOT NULL, CHECK (id > 0)) PARTITION BY RANGE (at);
      CREATE INDEX events_at_idx ON events (at);
      CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');`;
    const added = await diffAfter(setup, `CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`);
    expect(added.added).toEqual([
      {
        object: 'table:public.events_2025',
        kind: 'table',
        definition: "table partition of public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        includes: [
          'column:public.events_2025.at',
          'column:public.events_2025.id',
          'constraint:public.events_2025.events_id_check',
          'index:public.events_2025_at_idx',
        ],
      },
    ]);
    expect({ ...added, added: [] }).toEqual(empty);

    const detached = await diffAfter(setup, 'ALTER TABLE events DETACH PARTITION events_2024');
    expect(detached).toEqual(
      changedOnly(detached, [
        { object: 'index:public.events_2024_at_idx', kind: 'index', attribute: 'attachedTo', before: 'index:public.events_at_idx', after: null },
        {
          object: 'table:public.events_2024',
          kind: 'table',
          attribute: 'partitionBound',
          before: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
          after: null,
        },
        { object: 'table:public.events_2024', kind: 'table', attribute: 'partitionOf', before: 'table:public.events', after: null },
      ]),
    );
  });

  it('a column added to a partitioned table is one difference', async () => {
    const diff = await diffAfter(
      `CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
       CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');`,
      'ALTER TABLE events ADD COLUMN note text',
    );
    expect(diff).toEqual({
      ...empty,
      added: [{ object: 'column:public.events.note', kind: 'column', definition: 'text', includes: ['column:public.events_2024.note'] }],
    });
  });
});

describe('columns', () => {
  const setup = 'CREATE TABLE t (id int NOT NULL, name text, n int)';
  const col = (attribute: string, before: unknown, after: unknown) =>
    ({ object: 'column:public.t.name', kind: 'column', attribute, before, after }) as SchemaDiff['changed'][number];

  it('added', async () => {
    expect(await diffAfter(setup, `ALTER TABLE t ADD COLUMN total numeric(10,2) NOT NULL DEFAULT 0`)).toEqual({
      ...empty,
      added: [{ object: 'column:public.t.total', kind: 'column', definition: 'numeric(10,2) NOT NULL DEFAULT 0' }],
    });
  });
  it('removed', async () => {
    expect(await diffAfter(setup, 'ALTER TABLE t DROP COLUMN n')).toEqual({
      ...empty,
      removed: [{ object: 'column:public.t.n', kind: 'column', definition: 'integer' }],
    });
  });
  it('type', async () => {
    const diff = await diffAfter(setup, 'ALTER TABLE t ALTER COLUMN name TYPE varchar(80)');
    expect(diff).toEqual(changedOnly(diff, [col('type', 'text', 'character varying(80)')]));
  });
  it('nullability', async () => {
    const diff = await diffAfter(setup, 'ALTER TABLE t ALTER COLUMN name SET NOT NULL');
    expect(diff).toEqual(changedOnly(diff, [col('notNull', false, true)]));
  });
  it('default', async () => {
    const diff = await diffAfter(setup, `ALTER TABLE t ALTER COLUMN name SET DEFAULT 'x'`);
    expect(diff).toEqual(changedOnly(diff, [col('default', null, "'x'::text")]));
  });
  it('collation', async () => {
    const diff = await diffAfter(setup, `ALTER TABLE t ALTER COLUMN name TYPE text COLLATE "C"`);
    expect(diff).toEqual(changedOnly(diff, [col('collation', null, 'pg_catalog."C"')]));
  });
  it('identity: the column changes and its sequence is added', async () => {
    const diff = await diffAfter(setup, 'ALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY');
    expect(diff).toEqual({
      ...empty,
      added: [
        {
          object: 'sequence:public.t_id_seq',
          kind: 'sequence',
          definition: 'AS integer INCREMENT 1 MINVALUE 1 MAXVALUE 2147483647 START 1 OWNED BY public.t.id',
        },
      ],
      changed: [{ object: 'column:public.t.id', kind: 'column', attribute: 'identity', before: null, after: 'by default' }],
    });
  });
  it('generated', async () => {
    const diff = await diffAfter(setup, 'ALTER TABLE t ADD COLUMN twice int GENERATED ALWAYS AS (n * 2) STORED');
    expect(diff).toEqual({
      ...empty,
      added: [{ object: 'column:public.t.twice', kind: 'column', definition: 'integer GENERATED ALWAYS AS ((n * 2)) STORED' }],
    });
    const url = await freshDatabase('schema');
    await sql(url, setup + '; ALTER TABLE t ADD COLUMN twice int GENERATED ALWAYS AS (n * 2) STORED');
    expect((await introspect(url)).objects['column:public.t.twice']?.attributes).toMatchObject({ generated: 'stored', default: '(n * 2)' });
  });

  it('order: a column dropped and added again differs only in columnOrderOnly', async () => {
    const diff = await diffAfter(setup, 'ALTER TABLE t DROP COLUMN name', 'ALTER TABLE t ADD COLUMN name text');
    expect(diff).toEqual({
      ...empty,
      columnOrderOnly: [{ table: 'table:public.t', before: ['id', 'name', 'n'], after: ['id', 'n', 'name'] }],
    });
    expect(isEmptyDiff(diff)).toBe(false);
    expect(isEmptyDiff(diff, { ignoreColumnOrder: true })).toBe(true);
  });
  it('order: adding a column at the end is not an order change', async () => {
    const diff = await diffAfter(setup, 'ALTER TABLE t ADD COLUMN extra int');
    expect(diff.columnOrderOnly).toEqual([]);
  });
});

describe('constraints', () => {
  const setup = 'CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (id int NOT NULL, p_id int, n int, during tstzrange)';
  const added = (name: string, definition: string, includes?: string[]) => ({
    ...empty,
    added: [{ object: `constraint:public.t.${name}`, kind: 'constraint', definition, ...(includes ? { includes } : {}) }],
  });

  it('primary key (with the index that enforces it)', async () => {
    expect(await diffAfter(setup, 'ALTER TABLE t ADD PRIMARY KEY (id)')).toEqual(added('t_pkey', 'PRIMARY KEY (id)', ['index:public.t_pkey']));
  });
  it('foreign key with actions', async () => {
    expect(await diffAfter(setup, 'ALTER TABLE t ADD FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE ON UPDATE SET NULL')).toEqual(
      added('t_p_id_fkey', 'FOREIGN KEY (p_id) REFERENCES public.p(id) ON UPDATE SET NULL ON DELETE CASCADE'),
    );
  });
  it('unique', async () => {
    expect(await diffAfter(setup, 'ALTER TABLE t ADD CONSTRAINT t_n_key UNIQUE (n)')).toEqual(added('t_n_key', 'UNIQUE (n)', ['index:public.t_n_key']));
  });
  it('check', async () => {
    expect(await diffAfter(setup, 'ALTER TABLE t ADD CHECK (n > 0)')).toEqual(added('t_n_check', 'CHECK ((n > 0))'));
  });
  it('exclusion', async () => {
    expect(await diffAfter(setup, 'ALTER TABLE t ADD CONSTRAINT t_no_overlap EXCLUDE USING gist (during WITH &&)')).toEqual(
      added('t_no_overlap', 'EXCLUDE USING gist (during WITH &&)', ['index:public.t_no_overlap']),
    );
  });
  it('removed', async () => {
    expect(await diffAfter(setup + '; ALTER TABLE t ADD PRIMARY KEY (id)', 'ALTER TABLE t DROP CONSTRAINT t_pkey')).toEqual({
      ...empty,
      removed: [{ object: 'constraint:public.t.t_pkey', kind: 'constraint', definition: 'PRIMARY KEY (id)', includes: ['index:public.t_pkey'] }],
    });
  });
  it('NOT VALID, then validated', async () => {
    const setupNotValid = setup + '; ALTER TABLE t ADD CONSTRAINT t_n_positive CHECK (n > 0) NOT VALID';
    const url = await freshDatabase('schema');
    await sql(url, setupNotValid);
    expect((await introspect(url)).objects['constraint:public.t.t_n_positive']).toMatchObject({
      definition: 'CHECK ((n > 0)) NOT VALID',
      attributes: { definition: 'CHECK ((n > 0))', validated: false },
    });
    const diff = await diffAfter(setupNotValid, 'ALTER TABLE t VALIDATE CONSTRAINT t_n_positive');
    expect(diff).toEqual(
      changedOnly(diff, [{ object: 'constraint:public.t.t_n_positive', kind: 'constraint', attribute: 'validated', before: false, after: true }]),
    );
  });
  it('redefined under the same name', async () => {
    const diff = await diffAfter(setup + '; ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0)', 'ALTER TABLE t DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (n >= 0)');
    expect(diff).toEqual(
      changedOnly(diff, [
        { object: 'constraint:public.t.c', kind: 'constraint', attribute: 'definition', before: 'CHECK ((n > 0))', after: 'CHECK ((n >= 0))' },
      ]),
    );
  });
});

describe('indexes', () => {
  const setup = "CREATE TABLE t (id int, n int, s text); INSERT INTO t VALUES (1, 1, 'a'), (2, 1, 'b')";

  it('added (partial)', async () => {
    expect(await diffAfter(setup, 'CREATE INDEX t_n_idx ON t (n) WHERE n > 0')).toEqual({
      ...empty,
      added: [{ object: 'index:public.t_n_idx', kind: 'index', definition: 'CREATE INDEX t_n_idx ON public.t USING btree (n) WHERE (n > 0)' }],
    });
  });
  it('removed', async () => {
    expect(await diffAfter(setup + '; CREATE UNIQUE INDEX t_id_key ON t (id)', 'DROP INDEX t_id_key')).toEqual({
      ...empty,
      removed: [{ object: 'index:public.t_id_key', kind: 'index', definition: 'CREATE UNIQUE INDEX t_id_key ON public.t USING btree (id)' }],
    });
  });
  it('changed definition (storage option)', async () => {
    const diff = await diffAfter(setup + '; CREATE INDEX t_n_idx ON t (n)', 'ALTER INDEX t_n_idx SET (fillfactor = 70)');
    expect(diff).toEqual(
      changedOnly(diff, [
        {
          object: 'index:public.t_n_idx',
          kind: 'index',
          attribute: 'definition',
          before: 'CREATE INDEX t_n_idx ON public.t USING btree (n)',
          after: "CREATE INDEX t_n_idx ON public.t USING btree (n) WITH (fillfactor='70')",
        },
      ]),
    );
  });
  it('a failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index', async () => {
    const url = await freshDatabase('schema');
    await sql(url, setup);
    const before = await introspect(url);
    await expect(sql(url, 'CREATE UNIQUE INDEX CONCURRENTLY t_n_key ON t (n)')).rejects.toThrow(/could not create unique index/);
    const after = await introspect(url);
    expect(diffSchemas(before, after).added).toEqual([
      { object: 'index:public.t_n_key', kind: 'index', definition: 'CREATE UNIQUE INDEX t_n_key ON public.t USING btree (n)' },
    ]);
    // the unique check fails while building, before the index is marked ready
    expect(after.objects['index:public.t_n_key']).toMatchObject({ unique: true, attributes: { valid: false, ready: false } });
    // fixing the data and rebuilding it makes it ready and valid: changes of those attributes only
    await sql(url, 'UPDATE t SET n = id');
    await sql(url, 'REINDEX INDEX CONCURRENTLY t_n_key');
    const fixed = await introspect(url);
    expect(diffSchemas(after, fixed)).toEqual({
      ...empty,
      changed: [
        { object: 'index:public.t_n_key', kind: 'index', attribute: 'ready', before: false, after: true },
        { object: 'index:public.t_n_key', kind: 'index', attribute: 'valid', before: false, after: true },
      ],
    });
  });
});

describe('triggers', () => {
  const setup = `CREATE TABLE t (id int, at timestamptz);
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;`;
  const def = 'CREATE TRIGGER t_touch BEFORE UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION public.touch()';

  it('added', async () => {
    expect(await diffAfter(setup, 'CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()')).toEqual({
      ...empty,
      added: [{ object: 'trigger:public.t.t_touch', kind: 'trigger', definition: def }],
    });
  });
  it('removed', async () => {
    const diff = await diffAfter(setup + `CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();`, 'DROP TRIGGER t_touch ON t');
    expect(diff).toEqual({ ...empty, removed: [{ object: 'trigger:public.t.t_touch', kind: 'trigger', definition: def }] });
  });
  it('disabled', async () => {
    const diff = await diffAfter(
      setup + `CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();`,
      'ALTER TABLE t DISABLE TRIGGER t_touch',
    );
    expect(diff).toEqual(
      changedOnly(diff, [{ object: 'trigger:public.t.t_touch', kind: 'trigger', attribute: 'enabled', before: 'origin', after: 'disabled' }]),
    );
  });
  it('a trigger on a partitioned table is one difference (its clones on partitions are not listed)', async () => {
    const diff = await diffAfter(
      setup +
        `CREATE TABLE e (id int, at timestamptz) PARTITION BY RANGE (id);
         CREATE TABLE e1 PARTITION OF e FOR VALUES FROM (0) TO (10);`,
      'CREATE TRIGGER e_touch BEFORE UPDATE ON e FOR EACH ROW EXECUTE FUNCTION touch()',
    );
    expect(diff.added.map((a) => a.object)).toEqual(['trigger:public.e.e_touch']);
  });
});

describe('views and materialized views', () => {
  const setup = 'CREATE TABLE t (id int, n int); CREATE VIEW v AS SELECT id FROM t';

  it('view added', async () => {
    const diff = await diffAfter(setup, 'CREATE VIEW w AS SELECT n FROM t WHERE n > 0');
    expect(diff.added).toEqual([{ object: 'view:public.w', kind: 'view', definition: expect.stringContaining('FROM public.t') }]);
    expect({ ...diff, added: [] }).toEqual(empty);
  });
  it('view removed', async () => {
    expect((await diffAfter(setup, 'DROP VIEW v')).removed.map((r) => r.object)).toEqual(['view:public.v']);
  });
  it('view definition and options changed', async () => {
    const diff = await diffAfter(setup, 'CREATE OR REPLACE VIEW v AS SELECT id, n FROM t', 'ALTER VIEW v SET (security_barrier = true)');
    expect(diff.changed.map((c) => [c.object, c.attribute])).toEqual([
      ['view:public.v', 'definition'],
      ['view:public.v', 'options'],
    ]);
    expect(diff.changed[1]).toMatchObject({ before: [], after: ['security_barrier=true'] });
    expect({ ...diff, changed: [] }).toEqual(empty);
  });
  it('materialized view added, with its index', async () => {
    const diff = await diffAfter(setup, 'CREATE MATERIALIZED VIEW m AS SELECT id FROM t WITH NO DATA', 'CREATE UNIQUE INDEX m_id ON m (id)');
    expect(diff.added).toEqual([
      {
        object: 'materialized_view:public.m',
        kind: 'materialized_view',
        definition: expect.stringContaining('FROM public.t'),
        includes: ['index:public.m_id'],
      },
    ]);
  });
  it('materialized view populated', async () => {
    const diff = await diffAfter(setup + '; CREATE MATERIALIZED VIEW m AS SELECT id FROM t WITH NO DATA', 'REFRESH MATERIALIZED VIEW m');
    expect(diff).toEqual(
      changedOnly(diff, [{ object: 'materialized_view:public.m', kind: 'materialized_view', attribute: 'populated', before: false, after: true }]),
    );
  });
});

describe('sequences', () => {
  const setup = 'CREATE SEQUENCE s';
  it('added', async () => {
    expect(await diffAfter('', 'CREATE SEQUENCE s AS integer INCREMENT 10')).toEqual({
      ...empty,
      added: [{ object: 'sequence:public.s', kind: 'sequence', definition: 'AS integer INCREMENT 10 MINVALUE 1 MAXVALUE 2147483647 START 1' }],
    });
  });
  it('removed', async () => {
    expect((await diffAfter(setup, 'DROP SEQUENCE s')).removed.map((r) => r.object)).toEqual(['sequence:public.s']);
  });
  it('changed', async () => {
    const diff = await diffAfter(setup, 'ALTER SEQUENCE s INCREMENT BY 5 MAXVALUE 1000');
    expect(diff).toEqual(
      changedOnly(diff, [
        { object: 'sequence:public.s', kind: 'sequence', attribute: 'increment', before: '1', after: '5' },
        { object: 'sequence:public.s', kind: 'sequence', attribute: 'max', before: '9223372036854775807', after: '1000' },
      ]),
    );
  });
  it('advancing it is not a change (last_value is state, not structure)', async () => {
    expect(await diffAfter(setup, `SELECT nextval('s')`, `SELECT setval('s', 5000)`)).toEqual(empty);
  });
});

describe('enums', () => {
  it('added', async () => {
    expect(await diffAfter('', `CREATE TYPE status AS ENUM ('new', 'paid')`)).toEqual({
      ...empty,
      added: [{ object: 'enum:public.status', kind: 'enum', definition: "ENUM ('new', 'paid')" }],
    });
  });
  it('removed', async () => {
    expect((await diffAfter(`CREATE TYPE status AS ENUM ('new')`, 'DROP TYPE status')).removed.map((r) => r.object)).toEqual(['enum:public.status']);
  });
  it('a value added, in its place', async () => {
    const diff = await diffAfter(`CREATE TYPE status AS ENUM ('new', 'paid')`, `ALTER TYPE status ADD VALUE 'pending' BEFORE 'paid'`);
    expect(diff).toEqual(
      changedOnly(diff, [{ object: 'enum:public.status', kind: 'enum', attribute: 'labels', before: ['new', 'paid'], after: ['new', 'pending', 'paid'] }]),
    );
  });
});

describe('functions and procedures', () => {
  const setup = `CREATE FUNCTION add(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$`;
  it('added: overloads are distinct objects', async () => {
    expect(await diffAfter(setup, 'CREATE FUNCTION add(a bigint) RETURNS bigint LANGUAGE sql RETURN a + 1')).toEqual({
      ...empty,
      added: [{ object: 'function:public.add(a bigint)', kind: 'function', definition: 'public.add(a bigint) RETURNS bigint LANGUAGE sql' }],
    });
  });
  it('procedure added', async () => {
    const diff = await diffAfter('', 'CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$');
    expect(diff.added).toEqual([{ object: 'procedure:public.p()', kind: 'procedure', definition: 'public.p() LANGUAGE sql' }]);
  });
  it('removed', async () => {
    expect((await diffAfter(setup, 'DROP FUNCTION add(int, int)')).removed.map((r) => r.object)).toEqual(['function:public.add(a integer, b integer)']);
  });
  it('body changed: compared by hash', async () => {
    const diff = await diffAfter(setup, `CREATE OR REPLACE FUNCTION add(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql AS $$ SELECT a + b + 0 $$`);
    expect(diff.changed.map((c) => [c.object, c.attribute])).toEqual([['function:public.add(a integer, b integer)', 'bodyHash']]);
    expect(diff.changed[0]!.before).toMatch(/^[0-9a-f]{16}$/);
    expect({ ...diff, changed: [] }).toEqual(empty);
  });
  it('a SQL-standard body changed', async () => {
    const diff = await diffAfter(
      'CREATE FUNCTION one() RETURNS int LANGUAGE sql RETURN 1',
      'CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql RETURN 2',
    );
    expect(diff.changed.map((c) => c.attribute)).toEqual(['bodyHash']);
  });
  it('volatility and defaults changed', async () => {
    const diff = await diffAfter(
      setup,
      'ALTER FUNCTION add(int, int) STABLE',
      `CREATE OR REPLACE FUNCTION add(a int, b int DEFAULT 2) RETURNS int LANGUAGE sql STABLE AS $$ SELECT a + b $$`,
    );
    expect(diff).toEqual(
      changedOnly(diff, [
        {
          object: 'function:public.add(a integer, b integer)',
          kind: 'function',
          attribute: 'arguments',
          before: 'a integer, b integer DEFAULT 1',
          after: 'a integer, b integer DEFAULT 2',
        },
        { object: 'function:public.add(a integer, b integer)', kind: 'function', attribute: 'volatility', before: 'volatile', after: 'stable' },
      ]),
    );
  });
});

describe('extensions', () => {
  it('added, without the objects it creates', async () => {
    expect(await diffAfter('', 'CREATE EXTENSION citext')).toEqual({
      ...empty,
      added: [{ object: 'extension:citext', kind: 'extension', definition: expect.stringMatching(/^citext [\d.]+ in schema public$/) }],
    });
  });
  it('removed', async () => {
    expect((await diffAfter('CREATE EXTENSION citext', 'DROP EXTENSION citext')).removed.map((r) => r.object)).toEqual(['extension:citext']);
  });
  it('updated', async () => {
    const diff = await diffAfter(`CREATE EXTENSION citext VERSION '1.5'`, `ALTER EXTENSION citext UPDATE TO '1.6'`);
    expect(diff).toEqual(changedOnly(diff, [{ object: 'extension:citext', kind: 'extension', attribute: 'version', before: '1.5', after: '1.6' }]));
  });
});

describe('row level security policies', () => {
  const setup = 'CREATE TABLE t (id int, owner text); CREATE POLICY own ON t FOR SELECT USING (owner = current_user)';
  const once = (change: string) => diffAfter(setup, change);

  it('added', async () => {
    expect(await once('CREATE POLICY ins ON t AS RESTRICTIVE FOR INSERT WITH CHECK (id > 0)')).toEqual({
      ...empty,
      added: [{ object: 'policy:public.t.ins', kind: 'policy', definition: 'AS RESTRICTIVE FOR INSERT TO public WITH CHECK ((id > 0))' }],
    });
  });
  it('removed', async () => {
    expect((await once('DROP POLICY own ON t')).removed.map((r) => r.object)).toEqual(['policy:public.t.own']);
  });
  it('roles and expression changed', async () => {
    const diff = await once('ALTER POLICY own ON t TO postgres USING (owner = session_user)');
    expect(diff).toEqual(
      changedOnly(diff, [
        { object: 'policy:public.t.own', kind: 'policy', attribute: 'roles', before: ['public'], after: ['postgres'] },
        { object: 'policy:public.t.own', kind: 'policy', attribute: 'using', before: '(owner = CURRENT_USER)', after: '(owner = SESSION_USER)' },
      ]),
    );
  });
});
