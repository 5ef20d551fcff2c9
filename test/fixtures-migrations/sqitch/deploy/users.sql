-- Deploy flipr:users to pg
-- requires: countries

BEGIN;

ALTER TABLE flipr.users ADD COLUMN country TEXT REFERENCES flipr.countries (code);

COMMIT;
