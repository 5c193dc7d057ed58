-- Research extracts: every extract is recorded (who, when, what), never
-- its key or its pseudonyms. `fremdrift extract --list` reads this.
CREATE TABLE fremdrift.extracts (
    extract_no      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    run_by          text NOT NULL,     -- the operating-system user
    k               integer NOT NULL,
    period_from     date,
    period_to       date,
    date_policy     text NOT NULL CHECK (date_policy IN ('month', 'shift')),
    citizens        integer NOT NULL,
    suppressed      integer NOT NULL,  -- citizens left out for k
    manifest_sha256 text NOT NULL
);
