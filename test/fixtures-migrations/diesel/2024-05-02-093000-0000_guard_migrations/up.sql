-- Only the deploy job may record migrations; refuse anyone else (a comment; with semicolons; inside).
CREATE FUNCTION guard_migrations() RETURNS trigger LANGUAGE plpgsql AS $guard$
BEGIN
  IF current_setting('application_name') NOT LIKE 'deploy%' THEN
    RAISE EXCEPTION 'migrations are recorded by the deploy job only, not by ''%''', current_setting('application_name');
  END IF;
  RETURN NEW;
END;
$guard$;

CREATE TRIGGER guard_migrations BEFORE INSERT ON __diesel_schema_migrations
  FOR EACH ROW EXECUTE FUNCTION guard_migrations();

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    RAISE EXCEPTION 'pg_trgm missing';
  END IF;
END
$$;
