-- Up Migration
ALTER TABLE t ADD COLUMN x int; SELECT pg_sleep(1.2);

-- Down Migration
ALTER TABLE t DROP COLUMN x;
