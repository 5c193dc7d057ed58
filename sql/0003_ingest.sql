-- The ingest tables (docs/storage.md). Base tables hold pseudonyms, never a
-- CPR number. Rows are written by COPY in batches; every row is validated
-- in C first (PostgreSQL 15 has no COPY ON_ERROR), so the big tables carry
-- no foreign keys: a per-row trigger would halve COPY speed.

-- Questionnaire definitions, synced from instruments/ by `fremdrift
-- migrate`. A version never changes once stored.
CREATE TABLE fremdrift.instruments (
    instrument  text NOT NULL,
    version     smallint NOT NULL CHECK (version > 0),
    respondent  text NOT NULL CHECK (respondent IN ('citizen', 'consultant')),
    definition  jsonb NOT NULL,
    sha256      text NOT NULL,
    PRIMARY KEY (instrument, version)
);

-- One row per questionnaire response. answers holds the item values in the
-- definition's item order (NULL for unanswered), scores the dimension
-- scores 0-100 in the definition's dimension order (NULL where fewer than
-- two thirds of a dimension's items were answered).
CREATE TABLE fremdrift.responses (
    source       text NOT NULL,
    id           text NOT NULL,
    pseudonym    bytea NOT NULL CHECK (length(pseudonym) = 32),
    key_no       smallint NOT NULL,
    birth_year   smallint NOT NULL,
    sex          "char" NOT NULL CHECK (sex IN ('F', 'M')),
    instrument   text NOT NULL,
    version      smallint NOT NULL,
    respondent   "char" NOT NULL CHECK (respondent IN ('c', 'k')),
    answered_at  timestamptz NOT NULL,
    course       text,
    answers      smallint[] NOT NULL,
    scores       real[],
    PRIMARY KEY (source, id)
);
CREATE INDEX responses_citizen ON fremdrift.responses (pseudonym, answered_at);
CREATE INDEX responses_course ON fremdrift.responses (course, answered_at)
    WHERE course IS NOT NULL;

-- One row per course event; the columns after "type" are used by the types
-- named beside them and NULL otherwise.
CREATE TABLE fremdrift.events (
    source        text NOT NULL,
    id            text NOT NULL,
    pseudonym     bytea NOT NULL CHECK (length(pseudonym) = 32),
    key_no        smallint NOT NULL,
    birth_year    smallint NOT NULL,
    sex           "char" NOT NULL CHECK (sex IN ('F', 'M')),
    course        text NOT NULL,
    at            timestamptz NOT NULL,
    type          text NOT NULL CHECK (type IN ('course_started',
                    'intervention_started', 'intervention_ended', 'hours',
                    'meeting', 'goal_set', 'goal_rated', 'job_chance_rated',
                    'course_ended', 'followup')),
    department    text,      -- course_started
    agreement     text,      -- course_started (target group)
    intervention  text,      -- intervention_started, intervention_ended
    week          date,      -- hours: the Monday of the ISO week
    hours         real,      -- hours
    paid_hours    real,      -- hours
    meeting       text,      -- meeting
    attended      boolean,   -- meeting
    goal          text,      -- goal_set, goal_rated
    weight        smallint,  -- goal_set
    level         smallint,  -- goal_rated (-2..2), job_chance_rated (1..5)
    exit_status   text,      -- course_ended
    months_after  smallint,  -- followup
    status        text,      -- followup
    PRIMARY KEY (source, id)
);
CREATE INDEX events_course ON fremdrift.events (course, type, at);
CREATE INDEX events_citizen ON fremdrift.events (pseudonym);

-- Every committed batch, so a batch whose COMMIT answer was lost can be
-- told apart from one that never committed (replay safely).
CREATE TABLE fremdrift.ingest_batches (
    batch        bigint PRIMARY KEY,
    origin       text NOT NULL,          -- 'http' or 'file'
    records      integer NOT NULL,
    duplicates   integer NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now()
);

-- Where a file ingest got to, committed with each batch: a killed ingest
-- run again on the same file resumes after the last committed batch.
CREATE TABLE fremdrift.file_checkpoints (
    fingerprint  text PRIMARY KEY,       -- SHA-256 of size and first 64 KiB
    source       text NOT NULL,
    byte_offset  bigint NOT NULL,
    line         bigint NOT NULL,
    accepted     bigint NOT NULL,
    duplicates   bigint NOT NULL,
    rejected     bigint NOT NULL,
    done         boolean NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- API tokens: only the SHA-256 of the token is stored.
CREATE TABLE fremdrift.api_tokens (
    token_sha256 bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
    source       text NOT NULL CHECK (source ~ '^[A-Za-z0-9_.-]{1,64}$'),
    role         text NOT NULL CHECK (role IN ('ingest', 'dashboard', 'analyst')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
