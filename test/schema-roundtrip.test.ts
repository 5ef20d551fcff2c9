import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision, type Instance } from '../src/provision/index.ts';
import { diffSchemas, introspect, schemaHazards } from '../src/schema/index.ts';
import { silentLogger } from '../src/core/log.ts';
import { sql } from './helpers/db.ts';

/**
 * A pg_dump / pg_restore round trip of the same database must give an empty diff. The system
 * pg_dump is 15 and refuses newer servers, so this runs on its own embedded PostgreSQL 15.
 */

/** Everything the model reads, with the things a dump has to get right (dropped columns, NOT VALID, ...). */
const EVERYTHING = `
CREATE EXTENSION citext;
CREATE SCHEMA app;
CREATE TYPE status AS ENUM ('new', 'paid', 'shipped');
ALTER TYPE status ADD VALUE 'cancelled' BEFORE 'paid';
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5) PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  name text COLLATE "C",
  gone int,
  nick text
);
ALTER TABLE users DROP COLUMN gone;
CREATE TABLE orders (
  id serial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE ON UPDATE RESTRICT,
  status status NOT NULL DEFAULT 'new',
  total numeric(12,2) CHECK (total >= 0),
  created_at timestamptz DEFAULT now(),
  doubled numeric GENERATED ALWAYS AS (total * 2) STORED
) WITH (fillfactor = 80);
CREATE INDEX orders_created_at_idx ON orders (created_at) WHERE status <> 'shipped';
CREATE INDEX ON orders (abs(total), user_id) INCLUDE (created_at);
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk2 FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
CREATE TABLE rooms (id int PRIMARY KEY, during tstzrange, EXCLUDE USING gist (during WITH &&) DEFERRABLE);
CREATE VIEW recent_orders WITH (security_barrier) AS SELECT id, total FROM orders WHERE created_at > now() - interval '1 day';
CREATE VIEW app.recent AS SELECT * FROM recent_orders WITH LOCAL CHECK OPTION;
CREATE MATERIALIZED VIEW order_totals AS SELECT user_id, sum(total) FROM orders GROUP BY 1;
CREATE MATERIALIZED VIEW not_yet AS SELECT 1 AS x WITH NO DATA;
CREATE UNIQUE INDEX ON order_totals (user_id);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER orders_big AFTER INSERT ON orders FOR EACH ROW WHEN (NEW.total > 100) EXECUTE FUNCTION touch();
ALTER TABLE orders DISABLE TRIGGER orders_big;
CREATE CONSTRAINT TRIGGER orders_deferred AFTER INSERT ON orders DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON orders FOR SELECT TO postgres USING (user_id = 1);
CREATE POLICY small ON orders AS RESTRICTIVE FOR INSERT WITH CHECK (total < 1000);
CREATE TABLE events (id int, at date NOT NULL, note text DEFAULT 'x') PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events (note DEFAULT 'y') FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE events ADD CONSTRAINT events_id_check CHECK (id > 0);
ALTER TABLE events ADD PRIMARY KEY (id, at);
CREATE INDEX ON events (at);
CREATE TABLE event_refs (id int, at date, FOREIGN KEY (id, at) REFERENCES events);
CREATE TRIGGER events_touch AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION add(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN a + b;
CREATE FUNCTION add(a bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT a + 1 $$;
CREATE PROCEDURE app.p(x int) LANGUAGE sql AS $$ SELECT 1 $$;
CREATE SEQUENCE countdown AS smallint INCREMENT BY -1 MINVALUE -1000 MAXVALUE 0 START WITH 0 CYCLE;
CREATE SEQUENCE big;
SELECT setval('big', 1000);
INSERT INTO users (email) VALUES ('a@example.com');
CREATE UNLOGGED TABLE scratch (a int, b int, c int);
CREATE TABLE scratch_child (extra text) INHERITS (scratch);
CREATE TABLE app.t (a int);
`;

let pg15: Instance | undefined;

/** Another engineer may be installing the 15 binaries at this moment: wait and retry. */
async function provision15(): Promise<Instance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await provision({ provider: 'embedded', postgresMajor: 15 }, silentLogger);
    } catch (err) {
      if (attempt >= 4) throw err;
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    }
  }
}

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = '/' + name;
  return url.toString();
}

/** pg tools take the URL without its password; the password goes through the environment. */
function toolArgs(url: string): { dbname: string; env: Record<string, string> } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.toString(), env: { PGPASSWORD: password } };
}

beforeAll(async () => {
  pg15 = await provision15();
}, 300_000);

afterAll(async () => {
  await pg15?.stop();
});

describe('pg_dump / pg_restore round trip (PostgreSQL 15)', () => {
  it('gives an empty diff', async () => {
    const base = pg15!.url;
    await sql(base, 'CREATE DATABASE roundtrip_src');
    await sql(base, 'CREATE DATABASE roundtrip_dst');
    const src = databaseUrl(base, 'roundtrip_src');
    const dst = databaseUrl(base, 'roundtrip_dst');
    await sql(src, EVERYTHING);

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'schema-roundtrip-'));
    try {
      const file = path.join(dir, 'src.dump');
      const from = toolArgs(src);
      await execa('/usr/bin/pg_dump', ['-Fc', '-f', file, `--dbname=${from.dbname}`], { env: from.env });
      const to = toolArgs(dst);
      await execa('/usr/bin/pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${to.dbname}`, file], { env: to.env });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }

    const before = await introspect(src);
    const after = await introspect(dst);
    // the fixture really exercises every kind
    const kinds = new Set(Object.values(before.objects).map((o) => o.kind));
    expect([...kinds].sort()).toEqual(
      [
        'column',
        'constraint',
        'enum',
        'extension',
        'function',
        'index',
        'materialized_view',
        'policy',
        'procedure',
        'schema',
        'sequence',
        'table',
        'trigger',
        'view',
      ].sort(),
    );
    expect(Object.keys(after.objects)).toEqual(Object.keys(before.objects));
    expect(diffSchemas(before, after)).toEqual({ added: [], removed: [], changed: [], columnOrderOnly: [] });
    // the hazards survive too: same state, same findings
    expect(schemaHazards(after)).toEqual(schemaHazards(before));
  });
});
