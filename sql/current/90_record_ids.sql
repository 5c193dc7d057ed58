-- Record ids and course keys hold pseudonyms only (issue 14;
-- sql/0010_record_ids.sql): once fremdrift.ids_pseudonymised says the
-- database's ids and course keys are pseudonyms, CHECK constraints refuse
-- anything but 64 lowercase hex digits in those columns, whatever writes
-- the rows, so an ingest path that forgot the pseudonym cannot store an
-- identifier as given. Before that (an earlier version's rows, not yet
-- rewritten by `fremdrift migrate-ids`) they are left off, so that the
-- rows already there can still be changed (cpr-change, erase).
--
-- Called below whenever this file is applied, and by migrate-ids in its
-- transaction once it has rewritten the rows. Adds what is missing;
-- validating scans the tables once. The length test and an unbounded
-- character class say the same as '^[0-9a-f]{64}$' at a thirtieth of the
-- cost: PostgreSQL expands a bounded repetition into 64 states, about
-- 7 us a value, which made a bulk COPY of two million records half as
-- fast again (docs/benchmarks.md).
CREATE OR REPLACE FUNCTION fremdrift.ids_constrain() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM fremdrift.ids_pseudonymised) THEN
        RETURN;
    END IF;
    FOR c IN
        SELECT * FROM (VALUES
            ('fremdrift.events', 'events_id_pseudonym', 'id'),
            ('fremdrift.events', 'events_course_pseudonym', 'course'),
            ('fremdrift.responses', 'responses_id_pseudonym', 'id'),
            ('fremdrift.responses', 'responses_course_pseudonym', 'course'))
            AS t (tab, name, col)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                       WHERE conrelid = c.tab::regclass
                         AND conname = c.name) THEN
            EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I '
                           'CHECK (octet_length(%I) = 64 '
                           'AND %I ~ ''^[0-9a-f]+$'')',
                           c.tab, c.name, c.col, c.col);
        END IF;
    END LOOP;
END $$;

SELECT fremdrift.ids_constrain();
