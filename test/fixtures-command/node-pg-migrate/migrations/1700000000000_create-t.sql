-- Up Migration
CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);

-- Down Migration
DROP TABLE t;
