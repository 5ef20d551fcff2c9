-- Up Migration
ALTER TABLE t ALTER COLUMN id TYPE bigint;

-- Down Migration
ALTER TABLE t ALTER COLUMN id TYPE int;
