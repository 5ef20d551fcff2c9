ALTER TABLE products ADD COLUMN price numeric;
