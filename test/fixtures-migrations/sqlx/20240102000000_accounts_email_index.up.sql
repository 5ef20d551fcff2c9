-- no-transaction
CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (lower(email));
