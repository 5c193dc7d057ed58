-- The citizen's rights: erasures and CPR-number changes leave an audit row
-- that holds no CPR number and no pseudonym.
CREATE TABLE fremdrift.rights_log (
    entry_no    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action      text NOT NULL CHECK (action IN ('erase', 'cpr_change')),
    done_at     timestamptz NOT NULL DEFAULT now(),
    run_by      text NOT NULL,
    rows        integer NOT NULL,   -- rows deleted or moved
    tables      jsonb NOT NULL      -- rows per table
);
