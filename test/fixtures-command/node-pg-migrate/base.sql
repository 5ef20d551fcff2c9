-- The database production has today: node-pg-migrate applied its first migration (pgmigrations).
CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 20000) AS i;
CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000000_create-t', '2024-01-01 00:00:00');
