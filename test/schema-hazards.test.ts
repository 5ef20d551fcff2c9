import { describe, expect, it } from 'vitest';
import { introspect, schemaHazards, type SchemaHazard } from '../src/schema/index.ts';
import { freshDatabase, sql } from './helpers/db.ts';

async function hazardsOf(...statements: string[]): Promise<SchemaHazard[]> {
  const url = await freshDatabase('hazard');
  for (const statement of statements) await sql(url, statement);
  return schemaHazards(await introspect(url));
}

const INT_MAX = 2147483647;
const at = (fraction: number) => Math.floor(INT_MAX * fraction);

describe('schemaHazards', () => {
  it('finds nothing in a sound schema', async () => {
    expect(
      await hazardsOf(`
        CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
        CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint REFERENCES users, total int CHECK (total > 0));
        CREATE INDEX orders_user_id_idx ON orders (user_id);`),
    ).toEqual([]);
  });

  it('flags the invalid index a failed CREATE UNIQUE INDEX CONCURRENTLY leaves behind', async () => {
    const url = await freshDatabase('hazard');
    await sql(url, 'CREATE TABLE t (id int, email text); INSERT INTO t VALUES (1, $$a$$), (2, $$a$$)');
    await expect(sql(url, 'CREATE UNIQUE INDEX CONCURRENTLY t_email_key ON t (email)')).rejects.toThrow(/could not create unique index/);
    const hazards = schemaHazards(await introspect(url));
    expect(hazards).toEqual([{ kind: 'invalid_index', object: 'index:public.t_email_key', message: expect.stringContaining('is invalid') }]);
    expect(hazards[0]!.message).toContain('DROP INDEX CONCURRENTLY public.t_email_key');
  });

  it('flags an index on a partitioned table left invalid (a partition without an attached index)', async () => {
    const hazards = await hazardsOf(`
      CREATE TABLE e (id int, at date) PARTITION BY RANGE (at);
      CREATE TABLE e1 PARTITION OF e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE INDEX e_at_idx ON ONLY e (at);`);
    expect(hazards).toEqual([{ kind: 'invalid_index', object: 'index:public.e_at_idx', message: expect.stringContaining('ATTACH PARTITION') }]);
  });

  it('flags constraints left NOT VALID, and not once validated', async () => {
    const url = await freshDatabase('hazard');
    await sql(
      url,
      `
      CREATE TABLE p (id int PRIMARY KEY);
      CREATE TABLE t (n int, p_id int);
      CREATE INDEX ON t (p_id);
      ALTER TABLE t ADD CONSTRAINT t_n_positive CHECK (n > 0) NOT VALID;
      ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p NOT VALID;`,
    );
    expect(schemaHazards(await introspect(url))).toEqual([
      { kind: 'constraint_not_valid', object: 'constraint:public.t.t_n_positive', message: expect.stringContaining('VALIDATE CONSTRAINT t_n_positive') },
      { kind: 'constraint_not_valid', object: 'constraint:public.t.t_p_fk', message: expect.stringContaining('NOT VALID') },
    ]);
    await sql(url, 'ALTER TABLE t VALIDATE CONSTRAINT t_n_positive; ALTER TABLE t VALIDATE CONSTRAINT t_p_fk');
    expect(schemaHazards(await introspect(url))).toEqual([]);
  });

  describe('foreign keys without an index on the referencing columns', () => {
    const setup = `CREATE TABLE p (a int, b int, PRIMARY KEY (a, b));
      CREATE TABLE c (id int, a int, b int, at date, FOREIGN KEY (a, b) REFERENCES p ON DELETE CASCADE);`;
    const flagged = [
      {
        kind: 'foreign_key_without_index',
        object: 'constraint:public.c.c_a_b_fkey',
        message: expect.stringContaining('CREATE INDEX CONCURRENTLY ON public.c (a, b)'),
      },
    ];

    it('no index at all', async () => {
      expect(await hazardsOf(setup)).toEqual(flagged);
    });
    it('an index that starts elsewhere, or is partial, does not count', async () => {
      expect(await hazardsOf(setup, 'CREATE INDEX ON c (at, a, b)', 'CREATE INDEX ON c (a, b) WHERE at IS NOT NULL', 'CREATE INDEX ON c (a)')).toEqual(flagged);
    });
    it('an index whose leading columns are the FK columns, in any order, does', async () => {
      expect(await hazardsOf(setup, 'CREATE INDEX ON c (b, a, at)')).toEqual([]);
    });
    it('the primary key counts', async () => {
      expect(await hazardsOf(setup, 'ALTER TABLE c ADD PRIMARY KEY (a, b, id)')).toEqual([]);
    });
  });

  describe('sequences near their maximum', () => {
    it('flags a sequence at 85 % of int max, not one at 79 %', async () => {
      const hazards = await hazardsOf(
        `CREATE SEQUENCE near AS integer; SELECT setval('near', ${at(0.85)})`,
        `CREATE SEQUENCE far AS integer; SELECT setval('far', ${at(0.79)})`,
        `CREATE SEQUENCE fresh AS integer`,
      );
      expect(hazards).toEqual([{ kind: 'sequence_near_max', object: 'sequence:public.near', message: expect.stringContaining('85.0 %') }]);
    });

    it('flags identity and serial sequences', async () => {
      const hazards = await hazardsOf(
        `CREATE TABLE a (id int GENERATED ALWAYS AS IDENTITY, n int); SELECT setval('a_id_seq', ${at(0.9)})`,
        `CREATE TABLE b (id serial); SELECT setval('b_id_seq', ${at(0.81)})`,
      );
      expect(hazards.map((h) => [h.kind, h.object])).toEqual([
        ['sequence_near_max', 'sequence:public.a_id_seq'],
        ['sequence_near_max', 'sequence:public.b_id_seq'],
      ]);
    });

    it('measures a bigint sequence feeding an integer column against the column', async () => {
      const [hazard, ...rest] = await hazardsOf(`
        CREATE TABLE t (id int);
        CREATE SEQUENCE t_seq AS bigint OWNED BY t.id;
        ALTER TABLE t ALTER COLUMN id SET DEFAULT nextval('t_seq');
        SELECT setval('t_seq', ${at(0.85)});`);
      expect(rest).toEqual([]);
      expect(hazard).toMatchObject({ kind: 'sequence_near_max', object: 'sequence:public.t_seq' });
      expect(hazard!.message).toContain('integer column public.t.id');
    });

    it('counts a descending sequence towards its minimum, and skips cycling ones', async () => {
      const hazards = await hazardsOf(
        `CREATE SEQUENCE down AS integer INCREMENT -1; SELECT setval('down', ${-at(0.9)})`,
        `CREATE SEQUENCE loop AS integer CYCLE; SELECT setval('loop', ${at(0.99)})`,
      );
      expect(hazards.map((h) => h.object)).toEqual(['sequence:public.down']);
    });

    it('takes the threshold as an option', async () => {
      const url = await freshDatabase('hazard');
      await sql(url, `CREATE SEQUENCE s AS integer; SELECT setval('s', ${at(0.85)})`);
      const model = await introspect(url);
      expect(schemaHazards(model, { sequenceThreshold: 0.9 })).toEqual([]);
      expect(schemaHazards(model, { sequenceThreshold: 0.5 })).toHaveLength(1);
    });
  });
});
