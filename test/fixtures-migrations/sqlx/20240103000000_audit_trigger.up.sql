CREATE TABLE account_audit (account_id BIGINT NOT NULL, note TEXT NOT NULL);

CREATE FUNCTION audit_account() RETURNS trigger AS $body$
BEGIN
  -- nested quotes: the note reads  created 'x@y' ; done
  INSERT INTO account_audit VALUES (NEW.id, format('created %L ; done', NEW.email));
  RETURN NEW;
END
$body$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_audit AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION audit_account();
