-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY posts_search_idx ON posts USING gin (search);

-- +goose Down
DROP INDEX CONCURRENTLY posts_search_idx;
