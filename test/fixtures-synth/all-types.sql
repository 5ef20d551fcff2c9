-- Every built-in type family, an enum, domains, a composite type, a composite key, a
-- self-referencing foreign key, CHECK constraints, a partial unique index: what synthesis must fill.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE DOMAIN short_code AS varchar(12) CHECK (VALUE <> '');
CREATE DOMAIN mood_list AS mood[];
CREATE TYPE money_pair AS (amount numeric(10,2), currency char(3));
CREATE SCHEMA app;

CREATE TABLE app.categories (
  id        serial PRIMARY KEY,
  parent_id integer REFERENCES app.categories (id),
  name      text NOT NULL,
  code      short_code NOT NULL,
  CHECK (parent_id IS NULL OR parent_id <> id)
);

CREATE TABLE everything (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  category_id integer NOT NULL REFERENCES app.categories (id),
  i2 smallint, i4 integer, i8 bigint, n numeric, n2 numeric(8,3), f4 real, f8 double precision, m money,
  b boolean, t text, vc varchar(40), c char(5), ch "char", nm name,
  d date, ts timestamp, tstz timestamptz, tm time, tmtz timetz, iv interval,
  u uuid, j json, jb jsonb, by bytea,
  ip inet, cidr_ cidr, mac macaddr, mac8 macaddr8, bits bit(8), vbits varbit,
  pt point, ls lseg, bx box, ci circle, li line, pa path, pg polygon,
  tv tsvector, tq tsquery, x xml, lsn pg_lsn, o oid, rc regclass,
  ir int4range, dr daterange, tr tstzrange, nr numrange, imr int4multirange,
  ia integer[], ta text[], ma mood_list,
  mo mood NOT NULL, pi positive_int, pair money_pair,
  generated_total numeric GENERATED ALWAYS AS (n2 * 2) STORED,
  status text NOT NULL DEFAULT 'new',
  qty integer NOT NULL CHECK (qty BETWEEN 1 AND 50),
  CHECK (i4 IS NULL OR i4 <> 13)
);
CREATE UNIQUE INDEX everything_live_t ON everything (t) WHERE b;
CREATE INDEX everything_ts ON everything (ts);

-- a composite primary key made of two foreign keys (a junction table)
CREATE TABLE tags (id uuid PRIMARY KEY, label text UNIQUE NOT NULL);
CREATE TABLE everything_tags (
  everything_id bigint REFERENCES everything (id),
  tag_id uuid REFERENCES tags (id),
  added_at timestamptz NOT NULL,
  PRIMARY KEY (everything_id, tag_id)
);
