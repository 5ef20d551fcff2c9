-- build the index without blocking writes
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
