-- fremdrift foundation: the schemas every later migration builds on.
--
--   fremdrift  base tables: pseudonyms only, never a CPR number
--   report     views for analysts and BI tools (design §9)
--   dashboard  suppressed aggregates for leadership (design §9)
--
-- The schema fremdrift and fremdrift.schema_migrations are created by
-- `fremdrift migrate` itself before this file runs.

CREATE SCHEMA IF NOT EXISTS report;
CREATE SCHEMA IF NOT EXISTS dashboard;

-- The ids of the pseudonym keys that have made pseudonyms in this database.
-- Only the id (derived from the key by a one-way function) is stored; the
-- key itself lives in a file outside the database (docs/privacy.md).
-- Rows refer to a key by its small number (2 bytes a row, not 17).
CREATE TABLE fremdrift.pseudonym_keys (
    key_no      smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_id      text NOT NULL UNIQUE CHECK (key_id ~ '^[0-9a-f]{16}$'),
    first_seen  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);

COMMENT ON TABLE fremdrift.pseudonym_keys IS
    'Ids of the HMAC keys that made pseudonyms here; never the keys.';
