-- The read-only role `<database>_reader` (binllm_reader on the embedded server): what `binllm sql`,
-- psql, pandas or Grafana connect with. Its guard is its privileges: SELECT on the result tables and
-- views of schema public and nothing else. The session settings are a second fence and a courtesy
-- (a runaway query ends after 60 s; a forgotten open transaction after 5 min).
--
-- Idempotent: `binllm up` runs this file again after every migration (db/readonly-role.ts), so
-- tables added later, by any role, are granted too. It only creates the role when the migrating
-- user may (superuser or CREATEROLE); otherwise it says so and changes nothing. Run it as a
-- superuser (`psql "$DATABASE_URL" -f db/migrations/0003_readonly_role.sql`) to do it by hand.
-- The password is never set here: binllm generates one and keeps it under BINLLM_HOME (0600).
DO $$
DECLARE
  reader text := current_database() || '_reader';
  me pg_roles%ROWTYPE;
BEGIN
  SELECT * INTO me FROM pg_roles WHERE rolname = current_user;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
    IF NOT (me.rolsuper OR me.rolcreaterole) THEN
      RAISE NOTICE 'binllm: role % may not create roles, so the read-only role % was not created', current_user, reader;
      RETURN;
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 16', reader);
  END IF;
  IF me.rolsuper OR me.rolcreaterole THEN
    EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', reader);
    EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', reader, '60s');
    EXECUTE format('ALTER ROLE %I SET lock_timeout = %L', reader, '5s');
    EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L', reader, '5min');
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), reader);
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', reader);
  EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', reader);
  -- tables and views the migrating role creates later (unit_values, …) are readable at once
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO %I', reader);
  IF me.rolsuper THEN
    -- Before PostgreSQL 15 every role may create objects in schema public; 15 made this the default.
    IF current_setting('server_version_num')::int < 150000 THEN
      REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    END IF;
    -- Any role may signal backends of its own role; the reader has no reason to.
    REVOKE EXECUTE ON FUNCTION pg_terminate_backend(integer, bigint), pg_cancel_backend(integer) FROM PUBLIC;
    EXECUTE format('GRANT EXECUTE ON FUNCTION pg_terminate_backend(integer, bigint), pg_cancel_backend(integer) TO %I', current_user);
  END IF;
END
$$;
