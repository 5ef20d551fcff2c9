-- +goose Up
-- the history refers to goose's own table
CREATE VIEW migration_status AS
  SELECT version_id, bool_or(is_applied) AS applied, max(tstamp) AS at
    FROM goose_db_version GROUP BY version_id;

-- +goose Down
DROP VIEW migration_status;
