DROP TRIGGER accounts_audit ON accounts;
DROP FUNCTION audit_account();
DROP TABLE account_audit;
