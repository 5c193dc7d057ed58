-- Key rotation (issue 17, `fremdrift key rotate`, docs/privacy.md §6, "Rotating the key"):
-- one row per rotation applied, audited without identifiers: who ran it,
-- the two key ids, how many lines of each kind were given, and how many
-- rows of each table moved. The course and record pseudonyms that a
-- rotation could not reach (rows of a moved citizen whose course key or
-- record id was not given) are kept until they are reached by a later
-- run or the rows are erased, under the citizen's pseudonym so that
-- `fremdrift erase` removes them with the citizen's other rows.
CREATE TABLE fremdrift.key_rotations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    run_by      text NOT NULL,
    old_key_id  text NOT NULL CHECK (old_key_id ~ '^[0-9a-f]{16}$'),
    new_key_id  text NOT NULL CHECK (new_key_id ~ '^[0-9a-f]{16}$'),
    given       jsonb NOT NULL,
    moved       jsonb NOT NULL,
    unreached   jsonb NOT NULL
);

CREATE TABLE fremdrift.key_rotation_unreached (
    rotation    bigint NOT NULL
                REFERENCES fremdrift.key_rotations ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('course', 'record')),
    value       text COLLATE "C" NOT NULL CHECK (value ~ '^[0-9a-f]{64}$'),
    pseudonym   bytea NOT NULL CHECK (length(pseudonym) = 32),
    PRIMARY KEY (rotation, kind, value)
);
