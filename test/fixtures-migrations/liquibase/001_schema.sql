--liquibase formatted sql

--changeset alice:1
--comment: the orders table
CREATE TABLE orders (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total NUMERIC(12,2) NOT NULL, status TEXT NOT NULL DEFAULT 'new');
--rollback DROP TABLE orders;

--changeset alice:2 splitStatements:false
CREATE FUNCTION order_total_positive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.total < 0 THEN
    RAISE EXCEPTION 'order % has a negative total; it''s refused', NEW.id;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER orders_total_positive BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION order_total_positive();
--rollback DROP TRIGGER orders_total_positive ON orders;
--rollback DROP FUNCTION order_total_positive();
