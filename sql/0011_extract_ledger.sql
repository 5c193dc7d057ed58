-- What each research project has received (docs/privacy.md section 7):
-- the generalisation and risk report of every extract, and the ledger of
-- the citizens each extract held, under their live pseudonyms. Only the
-- owner reads schema fremdrift. Two uses: a project's next extract is
-- judged against the finest generalisation the project already holds,
-- and `fremdrift erase` says which extracts held the citizen (GDPR
-- art. 17(2) and 19) and then deletes the citizen's ledger rows.
ALTER TABLE fremdrift.extracts
    ADD COLUMN generalisation jsonb,    -- the level of each quasi-identifier
    ADD COLUMN risk           jsonb,    -- the risk report of the manifest
    ADD COLUMN sequences      text CHECK (sequences IN ('summary', 'exact')),
    ADD COLUMN items          boolean;
COMMENT ON COLUMN fremdrift.extracts.suppressed IS 'courses left out for k and l';

-- One row per citizen per extract. No primary key: a CPR-number change
-- that merges two citizens moves one's rows onto the other's pseudonym.
CREATE TABLE fremdrift.extract_ledger (
    extract_no  integer NOT NULL REFERENCES fremdrift.extracts ON DELETE CASCADE,
    pseudonym   bytea NOT NULL CHECK (length(pseudonym) = 32),
    courses     integer NOT NULL    -- the citizen's courses in the extract
);
CREATE INDEX extract_ledger_citizen ON fremdrift.extract_ledger (pseudonym);
CREATE INDEX extract_ledger_extract ON fremdrift.extract_ledger (extract_no);
