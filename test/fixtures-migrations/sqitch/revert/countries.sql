-- Revert flipr:countries from pg

BEGIN;

DROP TABLE flipr.countries;

COMMIT;
