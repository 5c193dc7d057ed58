-- Record ids and course keys as keyed pseudonyms (issue 14).
--
-- A case system's course key or record id is itself an identifier for
-- anyone who can look it up there. From this version on, ingest stores
-- each as the 64 lowercase hex digits of
--   HMAC-SHA256(key, "fremdrift/v1/course\0" || the course key as given)
--   HMAC-SHA256(key, "fremdrift/v1/record-id\0" || the id as given)
-- computed the moment the record is parsed (ingest/record.c), under the
-- same key as the citizen's pseudonym (docs/privacy.md). The key never
-- enters the database, so rows stored as given by an earlier version can
-- be rewritten only by `fremdrift migrate-ids`, which reads the key file.

-- Whether this database's ids and course keys are pseudonyms: one row once
-- they are. A database migrated while it holds no record is so from the
-- start ('fresh'); one that holds records gets its row from
-- `fremdrift migrate-ids` ('migrated'). serve and ingest store nothing
-- before the row exists: pseudonymised rows beside rows stored as given
-- would neither meet their course nor be recognised as duplicates.
CREATE TABLE fremdrift.ids_pseudonymised (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    how      text NOT NULL CHECK (how IN ('fresh', 'migrated')),
    done_at  timestamptz NOT NULL DEFAULT now(),
    rows     bigint NOT NULL DEFAULT 0   -- rows migrate-ids rewrote
);

INSERT INTO fremdrift.ids_pseudonymised (how)
SELECT 'fresh'
WHERE NOT EXISTS (SELECT 1 FROM fremdrift.responses)
  AND NOT EXISTS (SELECT 1 FROM fremdrift.events);

-- The CHECK constraints that keep anything else out of the id and course
-- columns are fremdrift.ids_constrain()'s (sql/current/90_record_ids.sql):
-- added here at once when the database is marked, by migrate-ids after it
-- has rewritten the rows otherwise.
