--liquibase formatted sql

--changeset bob:orders-status-idx runInTransaction:false
CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
--rollback DROP INDEX CONCURRENTLY orders_status_idx;

--changeset bob:oracle-only dbms:oracle
CREATE INDEX orders_total_idx ON orders (total) COMPRESS 1;
--rollback DROP INDEX orders_total_idx;

--changeset carol:ltree-paths
-- categories as paths; a comment; with semicolons;
CREATE EXTENSION IF NOT EXISTS ltree;
ALTER TABLE orders ADD COLUMN category ltree;
/* liquibase rollback
ALTER TABLE orders DROP COLUMN category;
DROP EXTENSION ltree;
*/
