-- Down Migration
ALTER TABLE users DROP COLUMN name;

-- Up Migration
ALTER TABLE users ADD COLUMN name text;
UPDATE users SET name = split_part(email, '@', 1);
