-- the first statement is fine
CREATE TABLE t (a int);

/* the second has a trailing comma */
ALTER TABLE t
  ADD COLUMN b int,
;
