-- every type values-js.ts makes in the client: each table is made in the client; checked_ok's
-- first draw meets its CHECKs and domains (kept), checked_redraw's does not (the server redraws)
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'tab	and\back');
CREATE TABLE parents (id bigint PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, born date);
CREATE TABLE kids (
  id serial PRIMARY KEY,
  parent_id bigint NOT NULL REFERENCES parents,
  other_parent bigint REFERENCES parents,
  i2 smallint, i4 integer, i8 bigint,
  n10 numeric(10,2), n33 numeric(3,3), n5 numeric(5,0),
  r real, d double precision,
  b boolean, ch "char", fixed char(6), vc varchar(12), t text, wide text,
  dt date, ts timestamp, tstz timestamptz, ts3 timestamp(3) with time zone,
  u uuid, j json, jb jsonb, m mood
);
CREATE TABLE pairs (a bigint NOT NULL REFERENCES parents, b integer NOT NULL REFERENCES kids, note text, PRIMARY KEY (a, b));
CREATE TABLE more (
  id bigint PRIMARY KEY,
  nu numeric, tm time, tm0 time(0), ttz timetz, iv interval, by bytea, ip inet, cn cidr,
  mac macaddr, mac8 macaddr8, tv tsvector, tq tsquery, x xml, lsn pg_lsn, o oid,
  ia integer[], sa smallint[], ta text[], ja jsonb[], ea mood[], tsa timestamptz[], na numeric(6,2)[], ba bytea[], ua uuid[]
);
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE DOMAIN short_code AS varchar(10) NOT NULL;
CREATE TABLE checked_ok (
  id bigint PRIMARY KEY, qty integer NOT NULL CHECK (qty > 0), price numeric(8,2) CHECK (price >= 0),
  p positive, code short_code, tags text[], CHECK (qty < 100000)
);
CREATE TABLE checked_redraw (id bigint PRIMARY KEY, n integer NOT NULL CHECK (n % 3 <> 0), note text);
CREATE TYPE pair AS (label text, n integer, at timestamptz, ok boolean);
CREATE TABLE shapes (
  id bigint PRIMARY KEY, cash money, b1 bit, b8 bit(8), b80 bit(80), vb varbit,
  ir int4range, lr int8range, nr numrange, dr daterange, tr tsrange, tzr tstzrange, imr int4multirange, tzmr tstzmultirange,
  pr pair, pra pair[]
);
