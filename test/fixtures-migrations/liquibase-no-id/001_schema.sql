--liquibase formatted sql

--changeset alice:1
CREATE TABLE orders (id BIGINT PRIMARY KEY);

--changeset alice
ALTER TABLE orders ADD COLUMN note TEXT;
