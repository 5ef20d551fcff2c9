DROP TRIGGER guard_migrations ON __diesel_schema_migrations;
DROP FUNCTION guard_migrations();
