-- Verify flipr:countries on pg

BEGIN;

SELECT 1/count(*) FROM flipr.countries WHERE code = 'CI';

ROLLBACK;
