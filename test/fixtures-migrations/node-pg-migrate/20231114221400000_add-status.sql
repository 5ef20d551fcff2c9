-- up migration
ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';

-- down migration
ALTER TABLE users DROP COLUMN status;
