-- Links: the citizen's and the consultant's way in (issue 15,
-- docs/links.md).
--
-- A link is <public url>/l/<token>, token = the first 22 characters of
-- base64url(HMAC-SHA256(key, "fremdrift-link\0" || nonce)). The database
-- holds the nonce and SHA-256(token), never the token: without the key
-- file (which never enters the database) neither gives the token back, so
-- a stolen copy of the database holds no usable link. fremdrift stores no
-- name, phone number or e-mail: it knows courses, not people.

-- The rhythm of each instrument's rounds: round n of a course opens
-- every_days * (n - 1) days after the course started, is listed for a
-- reminder after remind_after_days, and each link lives valid_days.
-- Change it with SQL (docs/operations.md).
CREATE TABLE fremdrift.cadence (
    instrument        text PRIMARY KEY,
    respondent        "char" NOT NULL CHECK (respondent IN ('c', 'k')),
    every_days        integer NOT NULL DEFAULT 28 CHECK (every_days > 0),
    remind_after_days integer NOT NULL DEFAULT 7
                      CHECK (remind_after_days >= 0),
    valid_days        integer NOT NULL DEFAULT 21 CHECK (valid_days > 0)
);
INSERT INTO fremdrift.cadence VALUES
    ('borger',    'c', 28, 7, 21),
    ('konsulent', 'k', 28, 7, 21);

-- One row per questionnaire round of one course, instrument and
-- respondent kind. A revoked or expired link is replaced in the same row
-- (new nonce, hash and expiry), so a round has one live link at most.
-- The citizen's pseudonym, key number, birth year and sex are copied from
-- the course's course_started event: the response made through the link
-- is stored under them. draft holds what has been answered so far
-- ({"answers": {...}, "job_chance": n, "goals": {...}}); `fremdrift
-- erase` deletes the rows with the citizen's other rows.
CREATE TABLE fremdrift.invitations (
    id          bigserial PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    nonce       bytea NOT NULL CHECK (length(nonce) = 16),
    course      text COLLATE "C" NOT NULL CHECK (course ~ '^[0-9a-f]{64}$'),
    pseudonym   bytea NOT NULL CHECK (length(pseudonym) = 32),
    key_no      smallint NOT NULL,
    birth_year  smallint NOT NULL,
    sex         "char" NOT NULL CHECK (sex IN ('F', 'M')),
    instrument  text NOT NULL,
    version     smallint NOT NULL,
    respondent  "char" NOT NULL CHECK (respondent IN ('c', 'k')),
    round       smallint NOT NULL CHECK (round > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    answered_at timestamptz,
    -- When an expired link of the round was last replaced: the round is
    -- overdue in the due list from then on.
    renewed_at  timestamptz,
    draft       jsonb NOT NULL DEFAULT '{}',
    -- While a send of the round is being stored (from reading the draft
    -- to marking the round answered), no save is taken: an answer from a
    -- second device would be acknowledged and then be in neither the
    -- response nor the draft. A failed send lets go when this passes.
    sending_until timestamptz,
    UNIQUE (course, instrument, respondent, round)
);
CREATE INDEX invitations_citizen ON fremdrift.invitations (pseudonym);

-- Owner only. The schema is closed to PUBLIC already (0004); this says so
-- for these tables too, in case anyone ever opens the schema.
REVOKE ALL ON fremdrift.cadence, fremdrift.invitations,
              fremdrift.invitations_id_seq
    FROM PUBLIC, analyst, dashboard;
