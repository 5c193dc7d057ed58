-- The service's own database role (issue 17, docs/operations.md "Database
-- roles"): `fremdrift serve` (and `fremdrift ingest`, where wanted)
-- connect as a login role that is a member of fremdrift_service, never as
-- the owner of the schema and never as a superuser. It may read what the
-- server serves and write what the server writes: records, ingest
-- bookkeeping, links and the leadership page's sessions. It cannot
-- create, alter, drop or truncate anything, nor delete a record
-- (sql/current/97_service_role.sql holds the grants;
-- tests/integration/test_service_role.c proves the refusals).
-- Migrations, `measure refresh`, extracts, the rights commands, tokens
-- and key rotation run as the owner.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles
                   WHERE rolname = 'fremdrift_service') THEN
        CREATE ROLE fremdrift_service NOLOGIN;
    END IF;
END $$;
