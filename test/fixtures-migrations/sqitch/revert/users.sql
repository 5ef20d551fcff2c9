-- Revert flipr:users from pg

BEGIN;

ALTER TABLE flipr.users DROP COLUMN country;

COMMIT;
