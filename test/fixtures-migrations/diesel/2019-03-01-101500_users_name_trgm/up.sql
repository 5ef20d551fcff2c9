-- an index built without blocking writes: diesel must not wrap this file in a transaction
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX CONCURRENTLY users_name_trgm ON users USING gin (name gin_trgm_ops);
