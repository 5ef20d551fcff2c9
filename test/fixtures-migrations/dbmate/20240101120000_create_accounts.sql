-- migrate:up
CREATE TABLE accounts (
  id bigint PRIMARY KEY,
  balance numeric NOT NULL DEFAULT 0
);

-- migrate:down
/* undo:
   drop the table */
DROP TABLE accounts;
