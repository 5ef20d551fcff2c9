ALTER TABLE users ADD COLUMN name text;
