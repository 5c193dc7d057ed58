-- Measurement: what `fremdrift measure refresh` computes, the report views
-- for analysts (design §9) and the suppressed dashboard for leadership.

-- The shape of each questionnaire version, synced from instruments/ by
-- `fremdrift migrate` (with fremdrift.instruments).
CREATE TABLE fremdrift.instrument_dimensions (
    instrument  text NOT NULL,
    version     smallint NOT NULL,
    dim_index   smallint NOT NULL,   -- 1-based position in scores[]
    dimension   text NOT NULL,
    prior_alpha real NOT NULL,
    PRIMARY KEY (instrument, version, dimension)
);
CREATE TABLE fremdrift.instrument_subgoals (
    instrument  text NOT NULL,
    version     smallint NOT NULL,
    subgoal     text NOT NULL,
    dimension   text NOT NULL,
    threshold   real NOT NULL,
    PRIMARY KEY (instrument, version, subgoal)
);

-- Written by `fremdrift measure refresh` (computed in C, measure/).
CREATE TABLE fremdrift.dimension_reliability (
    instrument  text NOT NULL,
    version     smallint NOT NULL,
    dimension   text NOT NULL,
    alpha       real,                -- over complete baseline responses
    n           integer NOT NULL,    -- complete baseline responses
    sd_baseline real,                -- SD of the baseline scores
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instrument, version, dimension)
);
CREATE TABLE fremdrift.progression (
    course      text NOT NULL,
    pseudonym   bytea NOT NULL,
    instrument  text NOT NULL,
    version     smallint NOT NULL,
    dimension   text NOT NULL,
    baseline    real NOT NULL,       -- first score in the course
    current     real NOT NULL,       -- latest score in the course
    change      real NOT NULL,
    n_responses integer NOT NULL,
    PRIMARY KEY (course, instrument, version, dimension)
);
CREATE INDEX progression_citizen ON fremdrift.progression (pseudonym);

-- One row per course, from its events (refresh).
CREATE TABLE fremdrift.courses (
    course          text PRIMARY KEY,
    pseudonym       bytea NOT NULL,
    birth_year      smallint NOT NULL,
    sex             "char" NOT NULL,
    department      text NOT NULL,
    agreement       text NOT NULL,
    started         date NOT NULL,
    ended           date,
    exit_status     text,
    followup_status text,
    first_company   date,
    mix             text NOT NULL CHECK (mix IN ('none', 'company_only',
                        'other_only', 'sequential', 'parallel')),
    job_chance      smallint,       -- the consultant's first rating, 1-5
    paid_hours_week real,           -- mean paid hours in weeks with hours
    meetings        integer NOT NULL,
    no_shows        integer NOT NULL
);
CREATE INDEX courses_period ON fremdrift.courses (started, ended);

-- Roles. NOLOGIN: give them to login roles with GRANT analyst TO someone.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'analyst') THEN
        CREATE ROLE analyst NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dashboard') THEN
        CREATE ROLE dashboard NOLOGIN;
    END IF;
END $$;
REVOKE ALL ON SCHEMA fremdrift FROM PUBLIC;
REVOKE ALL ON SCHEMA report FROM PUBLIC;
REVOKE ALL ON SCHEMA dashboard FROM PUBLIC;

-- ---------------------------------------------------------------- report
CREATE VIEW report.dimension_reliability AS
SELECT d.instrument, d.version, d.dimension,
       CASE WHEN r.n >= 30 AND r.alpha IS NOT NULL THEN r.alpha
            ELSE d.prior_alpha END AS alpha,
       coalesce(r.n, 0) AS n,
       r.sd_baseline
FROM fremdrift.instrument_dimensions d
LEFT JOIN fremdrift.dimension_reliability r USING (instrument, version, dimension);

CREATE VIEW report.progression AS
SELECT course_key, pseudonym, dimension, baseline, current, change, rci,
       CASE WHEN rci >= 1.96 THEN 'improved'
            WHEN rci <= -1.96 THEN 'deteriorated'
            ELSE 'unchanged' END AS reliable_change,
       n_responses
FROM (
    SELECT p.course AS course_key, encode(p.pseudonym, 'hex') AS pseudonym,
           p.dimension, p.baseline, p.current, p.change,
           CASE WHEN rel.sd_baseline > 0 AND rel.alpha < 1
                THEN p.change / (rel.sd_baseline * sqrt(2) * sqrt(1 - rel.alpha))
           END AS rci,
           p.n_responses
    FROM fremdrift.progression p
    JOIN report.dimension_reliability rel USING (instrument, version, dimension)
) x;

CREATE VIEW report.subgoal_attainment AS
SELECT p.course AS course_key, encode(p.pseudonym, 'hex') AS pseudonym,
       g.subgoal, p.current >= g.threshold AS attained
FROM fremdrift.progression p
JOIN fremdrift.instrument_subgoals g USING (instrument, version, dimension);

-- Goal Attainment Scaling: the latest weight and level of each goal.
CREATE VIEW report.gas AS
WITH w AS (
    SELECT DISTINCT ON (course, goal) course, pseudonym, goal, weight
    FROM fremdrift.events WHERE type = 'goal_set'
    ORDER BY course, goal, at DESC
), l AS (
    SELECT DISTINCT ON (course, goal) course, goal, level
    FROM fremdrift.events WHERE type = 'goal_rated'
    ORDER BY course, goal, at DESC
)
SELECT w.course AS course_key, encode(w.pseudonym, 'hex') AS pseudonym,
       50 + 10 * sum(w.weight * l.level)
           / sqrt(0.7 * sum(w.weight ^ 2) + 0.3 * sum(w.weight) ^ 2) AS t_score,
       count(*) AS n_goals
FROM w JOIN l USING (course, goal)
GROUP BY w.course, w.pseudonym;

GRANT USAGE ON SCHEMA report TO analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA report TO analyst;

-- ------------------------------------------------------------- dashboard
-- Functions (SECURITY DEFINER: they read the base tables for the caller,
-- who may read nothing else). Every count is of distinct citizens; a cell
-- of fewer than 5 shows NULL for its count and every value based on it
-- (primary suppression); in the distributions, where exactly one cell of a
-- group is suppressed, the next smallest is suppressed too, so the
-- suppressed one cannot be worked out from a total (secondary).

-- The courses in a period (overlapping it), optionally of one department
-- and target group.
CREATE FUNCTION fremdrift.dash_courses(p_from date, p_to date,
                                       p_department text, p_target_group text)
RETURNS SETOF fremdrift.courses LANGUAGE sql STABLE AS $$
    SELECT * FROM fremdrift.courses c
    WHERE c.started <= coalesce(p_to, 'infinity')
      AND coalesce(c.ended, 'infinity') >= coalesce(p_from, '-infinity')
      AND (p_department IS NULL OR c.department = p_department)
      AND (p_target_group IS NULL OR c.agreement = p_target_group)
$$;

CREATE FUNCTION fremdrift.supp(n bigint, v anyelement)
RETURNS anyelement LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN n >= 5 THEN v END $$;

-- Citizens in course, by department and target group.
CREATE FUNCTION dashboard.overview(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, target_group text, citizens bigint,
               suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    WITH c AS (
        SELECT department, agreement, count(DISTINCT pseudonym) AS n
        FROM fremdrift.dash_courses(p_from, p_to, p_department, p_target_group)
        GROUP BY 1, 2
    ), r AS (
        SELECT *, count(*) FILTER (WHERE n < 5) OVER (PARTITION BY department) AS nsupp,
               row_number() OVER (PARTITION BY department
                                  ORDER BY (n < 5), n, agreement) AS smallest
        FROM c
    )
    SELECT department, agreement,
           CASE WHEN n < 5 OR (nsupp = 1 AND smallest = 1) THEN NULL ELSE n END,
           n < 5 OR (nsupp = 1 AND smallest = 1)
    FROM r ORDER BY 1, 2
$$;

-- Per dimension: share of citizens with reliable improvement/deterioration.
CREATE FUNCTION dashboard.progression(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, dimension text, citizens bigint,
               share_improved numeric, share_deteriorated numeric,
               mean_change numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    WITH p AS (
        SELECT c.department, pr.dimension, c.pseudonym, pr.reliable_change, pr.change
        FROM fremdrift.dash_courses(p_from, p_to, p_department, p_target_group) c
        JOIN report.progression pr ON pr.course_key = c.course
        WHERE pr.n_responses >= 2
    ), g AS (
        SELECT department, dimension, count(DISTINCT pseudonym) AS n,
               avg((reliable_change = 'improved')::int) AS imp,
               avg((reliable_change = 'deteriorated')::int) AS det,
               avg(change) AS ch
        FROM p GROUP BY ROLLUP (department), dimension
    )
    SELECT coalesce(department, 'all'), dimension, supp(n, n),
           supp(n, round(imp, 3)), supp(n, round(det, 3)), supp(n, round(ch::numeric, 1))
    FROM g ORDER BY 1, 2
$$;

-- Sub-goal attainment rates.
CREATE FUNCTION dashboard.subgoals(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, subgoal text, citizens bigint, share_attained numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    WITH s AS (
        SELECT c.department, a.subgoal, c.pseudonym, a.attained
        FROM fremdrift.dash_courses(p_from, p_to, p_department, p_target_group) c
        JOIN report.subgoal_attainment a ON a.course_key = c.course
    ), g AS (
        SELECT department, subgoal, count(DISTINCT pseudonym) AS n,
               avg(attained::int) AS att
        FROM s GROUP BY ROLLUP (department), subgoal
    )
    SELECT coalesce(department, 'all'), subgoal, supp(n, n), supp(n, round(att, 3))
    FROM g ORDER BY 1, 2
$$;

-- Company-oriented interventions: how many courses have one, how soon.
CREATE FUNCTION dashboard.company(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, target_group text, citizens bigint,
               share_with_company numeric, median_days_to_first numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    WITH g AS (
        SELECT department, agreement, count(DISTINCT pseudonym) AS n,
               avg((first_company IS NOT NULL)::int) AS share,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY first_company - started)
                   FILTER (WHERE first_company IS NOT NULL) AS med,
               count(DISTINCT pseudonym) FILTER (WHERE first_company IS NOT NULL) AS nc
        FROM fremdrift.dash_courses(p_from, p_to, p_department, p_target_group)
        GROUP BY ROLLUP (department, agreement)
    )
    SELECT coalesce(department, 'all'), coalesce(agreement, 'all'), supp(n, n),
           supp(n, round(share, 3)), supp(nc, round(med::numeric, 1))
    FROM g ORDER BY 1, 2
$$;

-- Intervention mixes: parallel against sequential (and the rest), with
-- progression and exits of each.
CREATE FUNCTION dashboard.mix(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (mix text, citizens bigint, share_improved numeric,
               share_deteriorated numeric, mean_change numeric,
               ended bigint, share_exit_work_or_education numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    WITH c AS (SELECT * FROM fremdrift.dash_courses(p_from, p_to, p_department, p_target_group)),
    p AS (
        SELECT c.mix, c.pseudonym, pr.reliable_change, pr.change
        FROM c JOIN report.progression pr ON pr.course_key = c.course
        WHERE pr.n_responses >= 2
    ), pg AS (
        SELECT mix, avg((reliable_change = 'improved')::int) AS imp,
               avg((reliable_change = 'deteriorated')::int) AS det,
               avg(change) AS ch, count(DISTINCT pseudonym) AS np
        FROM p GROUP BY mix
    ), eg AS (
        SELECT c.mix, count(DISTINCT c.pseudonym) AS n,
               count(DISTINCT c.pseudonym) FILTER (WHERE c.exit_status IS NOT NULL) AS ne,
               avg(x.towards_work::int) FILTER (WHERE c.exit_status IS NOT NULL) AS work
        FROM c LEFT JOIN fremdrift.exit_statuses x ON x.code = c.exit_status
        GROUP BY c.mix
    )
    SELECT eg.mix, supp(eg.n, eg.n), supp(pg.np, round(pg.imp, 3)),
           supp(pg.np, round(pg.det, 3)), supp(pg.np, round(pg.ch::numeric, 1)),
           supp(eg.ne, eg.ne), supp(eg.ne, round(eg.work, 3))
    FROM eg LEFT JOIN pg USING (mix)
    ORDER BY array_position(ARRAY['parallel','sequential','company_only',
                                  'other_only','none'], eg.mix)
$$;

-- Paid hours per week in courses that have hours.
CREATE FUNCTION dashboard.paid_hours(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, citizens bigint, mean_paid_hours_week numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    WITH g AS (
        SELECT department, count(DISTINCT pseudonym) AS n,
               avg(paid_hours_week) AS h
        FROM fremdrift.dash_courses(p_from, p_to, p_department, p_target_group)
        WHERE paid_hours_week IS NOT NULL
        GROUP BY ROLLUP (department)
    )
    SELECT coalesce(department, 'all'), supp(n, n), supp(n, round(h::numeric, 1))
    FROM g ORDER BY 1
$$;

-- The consultant's belief in the job chance against progression and exits.
CREATE FUNCTION dashboard.belief(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (job_chance smallint, citizens bigint, share_improved numeric,
               mean_change numeric, ended bigint,
               share_exit_work_or_education numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    WITH c AS (SELECT * FROM fremdrift.dash_courses(p_from, p_to, p_department, p_target_group)
               WHERE job_chance IS NOT NULL),
    p AS (
        SELECT c.job_chance, count(DISTINCT c.pseudonym) AS np,
               avg((pr.reliable_change = 'improved')::int) AS imp, avg(pr.change) AS ch
        FROM c JOIN report.progression pr ON pr.course_key = c.course
        WHERE pr.n_responses >= 2 GROUP BY c.job_chance
    ), e AS (
        SELECT c.job_chance, count(DISTINCT c.pseudonym) AS n,
               count(DISTINCT c.pseudonym) FILTER (WHERE c.exit_status IS NOT NULL) AS ne,
               avg(x.towards_work::int) FILTER (WHERE c.exit_status IS NOT NULL) AS work
        FROM c LEFT JOIN fremdrift.exit_statuses x ON x.code = c.exit_status
        GROUP BY c.job_chance
    )
    SELECT e.job_chance, supp(e.n, e.n), supp(p.np, round(p.imp, 3)),
           supp(p.np, round(p.ch::numeric, 1)), supp(e.ne, e.ne),
           supp(e.ne, round(e.work, 3))
    FROM e LEFT JOIN p USING (job_chance) ORDER BY 1
$$;

-- Exit and follow-up statuses: distributions (with secondary suppression).
CREATE FUNCTION fremdrift.dash_distribution(p_from date, p_to date,
        p_department text, p_target_group text, p_followup boolean)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE AS $$
    WITH c AS (
        SELECT department, CASE WHEN p_followup THEN followup_status ELSE exit_status END AS st,
               count(DISTINCT pseudonym) AS n
        FROM fremdrift.dash_courses(p_from, p_to, p_department, p_target_group)
        WHERE CASE WHEN p_followup THEN followup_status ELSE exit_status END IS NOT NULL
        GROUP BY 1, 2
    ), r AS (
        SELECT *, count(*) FILTER (WHERE n < 5) OVER (PARTITION BY department) AS nsupp,
               row_number() OVER (PARTITION BY department ORDER BY (n < 5), n, st) AS smallest
        FROM c
    )
    SELECT department, st,
           CASE WHEN n < 5 OR (nsupp = 1 AND smallest = 1) THEN NULL ELSE n END,
           n < 5 OR (nsupp = 1 AND smallest = 1)
    FROM r ORDER BY 1, 2
$$;

CREATE FUNCTION dashboard.exits(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    SELECT * FROM fremdrift.dash_distribution(p_from, p_to, p_department, p_target_group, false)
$$;

CREATE FUNCTION dashboard.followups(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    SELECT * FROM fremdrift.dash_distribution(p_from, p_to, p_department, p_target_group, true)
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA dashboard FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA fremdrift FROM PUBLIC;
GRANT USAGE ON SCHEMA dashboard TO dashboard;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA dashboard TO dashboard;

-- The aggregates sort a few hundred thousand rows at the provider's
-- largest; give them room to do it in memory.
ALTER FUNCTION dashboard.overview(date, date, text, text) SET work_mem = '64MB';
ALTER FUNCTION dashboard.progression(date, date, text, text) SET work_mem = '64MB';
ALTER FUNCTION dashboard.subgoals(date, date, text, text) SET work_mem = '64MB';
ALTER FUNCTION dashboard.company(date, date, text, text) SET work_mem = '64MB';
ALTER FUNCTION dashboard.mix(date, date, text, text) SET work_mem = '64MB';
ALTER FUNCTION dashboard.paid_hours(date, date, text, text) SET work_mem = '64MB';
ALTER FUNCTION dashboard.belief(date, date, text, text) SET work_mem = '64MB';
ALTER FUNCTION dashboard.exits(date, date, text, text) SET work_mem = '64MB';
ALTER FUNCTION dashboard.followups(date, date, text, text) SET work_mem = '64MB';
