-- Verify flipr:users on pg

BEGIN;

SELECT nickname, password, timestamp, country
  FROM flipr.users
 WHERE FALSE;

ROLLBACK;
