-- fremdrift's database and login roles (docs/packaging.md, "The
-- database"). Run once by a PostgreSQL superuser (or a role with CREATEROLE
-- and CREATEDB), with psql, before the first `fremdrift migrate`:
--
--   psql -X -v ON_ERROR_STOP=1 -v owner_password=SECRET1 \
--        -v service_password=SECRET2 -d postgres -f db-roles.sql
--
-- or, to keep the passwords off the command line, with `\set
-- owner_password …` and `\set service_password …` on standard input
-- before this file (docs/packaging.md, "PostgreSQL elsewhere").
--
-- /usr/share/fremdrift/db-setup.sh runs it for a PostgreSQL on the same
-- machine, with new random passwords. Running it again is safe: a role
-- that exists keeps its memberships and gets the password given.
--
--   fremdrift          LOGIN, owns the database and the schema: runs
--                      migrate, measure refresh, token, extract, the
--                      rights commands and key commands. Not a superuser,
--                      cannot create roles or databases.
--   fremdrift_app      LOGIN, the service: `fremdrift serve` (and ingest)
--                      connect as it. Member of fremdrift_service.
--   fremdrift_service  NOLOGIN: the service's grants
--                      (sql/current/97_service_role.sql).
--   analyst, dashboard NOLOGIN: read the report and dashboard schemas;
--                      grant them to BI logins (docs/dashboard.md).
--
-- The NOLOGIN roles are made here so that the owner needs no CREATEROLE
-- (the migrations make them only if they are missing).
\if :{?owner_password}
\else
\warn 'db-roles.sql: set -v owner_password=... and -v service_password=...'
\quit
\endif
\if :{?service_password}
\else
\warn 'db-roles.sql: set -v service_password=...'
\quit
\endif

SELECT format('CREATE ROLE %I', r)
FROM unnest(ARRAY['fremdrift', 'fremdrift_app', 'fremdrift_service',
                  'analyst', 'dashboard']) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r)
\gexec

ALTER ROLE fremdrift LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
    NOREPLICATION NOBYPASSRLS PASSWORD :'owner_password';
ALTER ROLE fremdrift_app LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE
    NOREPLICATION NOBYPASSRLS PASSWORD :'service_password';
ALTER ROLE fremdrift_service NOLOGIN;
ALTER ROLE analyst NOLOGIN;
ALTER ROLE dashboard NOLOGIN;
GRANT fremdrift_service TO fremdrift_app;

-- UTF-8 with the C.UTF-8 locale, as the embedded and test clusters.
SELECT 'CREATE DATABASE fremdrift OWNER fremdrift ENCODING ''UTF8'' '
       'LOCALE ''C.UTF-8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database
                  WHERE datname = 'fremdrift')
\gexec

-- Only fremdrift's roles may connect, and none but the owner may make
-- temporary tables.
REVOKE ALL ON DATABASE fremdrift FROM PUBLIC;
GRANT CONNECT ON DATABASE fremdrift TO fremdrift_service, analyst, dashboard;
