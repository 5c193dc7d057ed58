-- Course facts, recomputed from the events by `fremdrift measure refresh`.

-- Each intervention a course had, from its intervention_started and
-- intervention_ended events: the n-th start of an intervention in a
-- course pairs with the n-th end of the same intervention (events may
-- arrive in any order and the same intervention may run twice). ended_at
-- is NULL while it runs. Only interventions of the catalogue, with their
-- category. The refresh and research extracts both read this.
CREATE OR REPLACE VIEW fremdrift.intervention_spells AS
WITH st AS (
    SELECT course, intervention, at, row_number() OVER
           (PARTITION BY course, intervention ORDER BY at) AS rn
    FROM fremdrift.events WHERE type = 'intervention_started'
), en AS (
    SELECT course, intervention, at, row_number() OVER
           (PARTITION BY course, intervention ORDER BY at) AS rn
    FROM fremdrift.events WHERE type = 'intervention_ended'
)
SELECT st.course, st.intervention, i.category, st.at AS started_at,
       en.at AS ended_at
FROM st
LEFT JOIN en USING (course, intervention, rn)
JOIN fremdrift.interventions i ON i.code = st.intervention;

-- Replaces fremdrift.courses with one row per course that has started
-- (with a department), from all its events. The first course_started
-- gives department and target group, the latest course_ended the exit,
-- the latest follow-up the follow-up status, the first job-chance rating
-- the consultant's belief. The intervention mix: 'parallel' when a
-- company-oriented intervention overlapped in time with a health, social
-- or upskilling one; 'sequential' when the course had both kinds but
-- never at once; else 'company_only', 'other_only' or 'none'.
-- Dates are Danish calendar days, whatever the session's time zone.
-- Only the courses that changed are written: the new facts are made in a
-- temporary table (no write-ahead log), and a stored row that is the
-- same stays as it is. A nightly refresh then writes a day's changes, not
-- every course again; readers see the old rows until the commit, and
-- nothing waits (no TRUNCATE lock).
CREATE OR REPLACE FUNCTION fremdrift.refresh_courses() RETURNS void
LANGUAGE plpgsql SET TimeZone = 'Europe/Copenhagen' SET work_mem = '64MB'
AS $$
BEGIN
DROP TABLE IF EXISTS pg_temp.courses_new;
CREATE TEMP TABLE courses_new (LIKE fremdrift.courses) ON COMMIT DROP;
INSERT INTO courses_new
WITH iv AS (
    SELECT course, category, started_at AS s_at,
           coalesce(ended_at, 'infinity') AS e_at
    FROM fremdrift.intervention_spells
), kinds AS (
    SELECT course, bool_or(category = 'company') AS company,
           bool_or(category IN ('health_social', 'upskilling')) AS other,
           bool_or(category <> 'company') AS any_other,
           min(s_at) FILTER (WHERE category = 'company') AS first_company
    FROM iv GROUP BY course
), par AS (
    SELECT DISTINCT a.course
    FROM iv a JOIN iv b ON a.course = b.course AND a.category = 'company'
         AND b.category IN ('health_social', 'upskilling')
         AND a.s_at < b.e_at AND b.s_at < a.e_at
), agg AS (
    SELECT course, (array_agg(pseudonym))[1] AS pseudonym,
           (array_agg(birth_year))[1] AS birth_year, (array_agg(sex))[1] AS sex,
           (array_agg(department ORDER BY at)
               FILTER (WHERE type = 'course_started'))[1] AS department,
           (array_agg(agreement ORDER BY at)
               FILTER (WHERE type = 'course_started'))[1] AS agreement,
           min(at) FILTER (WHERE type = 'course_started') AS started,
           max(at) FILTER (WHERE type = 'course_ended') AS ended,
           (array_agg(exit_status ORDER BY at DESC)
               FILTER (WHERE type = 'course_ended'))[1] AS exit_status,
           (array_agg(status ORDER BY at DESC)
               FILTER (WHERE type = 'followup'))[1] AS followup_status,
           (array_agg(level ORDER BY at)
               FILTER (WHERE type = 'job_chance_rated'))[1] AS job_chance,
           avg(paid_hours) FILTER (WHERE type = 'hours') AS paid_hours_week,
           count(*) FILTER (WHERE type = 'meeting') AS meetings,
           count(*) FILTER (WHERE type = 'meeting' AND NOT attended) AS no_shows
    FROM fremdrift.events GROUP BY course
)
SELECT agg.course, pseudonym, birth_year, sex, department, agreement,
       started::date, ended::date, exit_status, followup_status,
       first_company::date,
       CASE WHEN par.course IS NOT NULL THEN 'parallel'
            WHEN k.company AND k.other THEN 'sequential'
            WHEN k.company THEN 'company_only'
            WHEN k.any_other THEN 'other_only' ELSE 'none' END,
       job_chance, paid_hours_week, meetings, no_shows
FROM agg LEFT JOIN kinds k USING (course) LEFT JOIN par USING (course)
WHERE started IS NOT NULL AND department IS NOT NULL;
ANALYZE courses_new;
-- The stored rows that changed or are gone, out (whole rows compared:
-- two NULLs in the same column count as the same); then the new rows of
-- the courses still stored are the same as theirs, and only the others
-- go in. (An INSERT whose NOT EXISTS looked at fremdrift.courses itself
-- would scan the rows it had just inserted again for every row.)
DELETE FROM fremdrift.courses c
WHERE NOT EXISTS (SELECT 1 FROM courses_new n
                  WHERE n.course = c.course AND n = c);
DELETE FROM courses_new n
WHERE EXISTS (SELECT 1 FROM fremdrift.courses c WHERE c.course = n.course);
INSERT INTO fremdrift.courses SELECT * FROM courses_new;
END $$;

REVOKE EXECUTE ON FUNCTION fremdrift.refresh_courses() FROM PUBLIC;
