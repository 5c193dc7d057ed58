-- The dashboard for leadership (role dashboard): one function per view
-- of `GET /api/v1/dashboard/<view>` (server/dapi.c), each answering from
-- the aggregates through fremdrift.dash_cells() (50_dash_read.sql).
--
-- SECURITY DEFINER: they read the base tables for the caller, who may
-- read nothing else. Every count is of distinct citizens; a cell of fewer
-- than 5 shows NULL for its count and every value based on it (primary
-- suppression); in the distributions, where exactly one cell of a
-- department is suppressed, the next smallest is suppressed too, so the
-- suppressed one cannot be worked out from a total (secondary).
--
-- work_mem 32MB: what is left to sort or group at request time (the rows
-- of citizens with several courses) stays in memory with it.

-- Exit and follow-up statuses: distributions over each department.
CREATE OR REPLACE FUNCTION dashboard.exits(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    SELECT * FROM fremdrift.dash_distribution(p_from, p_to, p_department, p_target_group, 'exit')
$$;

CREATE OR REPLACE FUNCTION dashboard.followups(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    SELECT * FROM fremdrift.dash_distribution(p_from, p_to, p_department, p_target_group, 'follow')
$$;

-- Citizens in course, by department and target group (a distribution of
-- each department over target groups, suppressed the same way).
CREATE OR REPLACE FUNCTION dashboard.overview(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, target_group text, citizens bigint,
               suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    WITH c AS (
        SELECT x.department, x.target_group, x.citizens AS n
        FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, 'course') x
        WHERE x.department <> 'all' AND x.target_group <> 'all'
    ), r AS (
        SELECT *, count(*) FILTER (WHERE n < 5) OVER (PARTITION BY department) AS nsupp,
               row_number() OVER (PARTITION BY department
                                  ORDER BY (n < 5), n, target_group) AS smallest
        FROM c
    )
    SELECT department, target_group,
           CASE WHEN n < 5 OR (nsupp = 1 AND smallest = 1) THEN NULL ELSE n END,
           n < 5 OR (nsupp = 1 AND smallest = 1)
    FROM r ORDER BY 1, 2
$$;

-- Per department (and 'all') and dimension: share of citizens' courses
-- with reliable improvement and deterioration, mean change.
CREATE OR REPLACE FUNCTION dashboard.progression(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, dimension text, citizens bigint,
               share_improved numeric, share_deteriorated numeric,
               mean_change numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    SELECT x.department, x.key, supp(x.citizens, x.citizens),
           supp(x.citizens, round((x.s1 / x.n)::numeric, 3)),
           supp(x.citizens, round((x.s2 / x.n)::numeric, 3)),
           supp(x.citizens, round((x.s3 / x.n)::numeric, 1))
    FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, 'prog') x
    WHERE x.target_group = 'all'
    ORDER BY 1, 2
$$;

-- Sub-goal attainment rates.
CREATE OR REPLACE FUNCTION dashboard.subgoals(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, subgoal text, citizens bigint, share_attained numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    SELECT x.department, x.key, supp(x.citizens, x.citizens),
           supp(x.citizens, round((x.s1 / x.n)::numeric, 3))
    FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, 'sub') x
    WHERE x.target_group = 'all'
    ORDER BY 1, 2
$$;

-- Company-oriented interventions: how many courses have one, how soon
-- (median days from course start to the first, over the courses with one).
CREATE OR REPLACE FUNCTION dashboard.company(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, target_group text, citizens bigint,
               share_with_company numeric, median_days_to_first numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    WITH a AS (
        SELECT * FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, 'course') x
        WHERE x.department <> 'all' OR x.target_group = 'all'
    ), w AS (
        SELECT department, target_group, citizens AS nc
        FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, 'company')
    ), h AS (
        SELECT department, target_group, key::integer AS days, n,
               sum(n) OVER (PARTITION BY department, target_group ORDER BY key::integer) AS cum,
               sum(n) OVER (PARTITION BY department, target_group) AS tot
        FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, 'company_days')
    ), m AS (
        -- percentile_cont(0.5) from the histogram: the mean of the values
        -- at positions floor((N+1)/2) and floor(N/2)+1.
        SELECT department, target_group,
               (min(days) FILTER (WHERE cum >= floor((tot + 1) / 2))
                + min(days) FILTER (WHERE cum >= floor(tot / 2) + 1)) / 2.0 AS med
        FROM h GROUP BY 1, 2
    )
    SELECT a.department, a.target_group, supp(a.citizens, a.citizens),
           supp(a.citizens, round((a.s1 / a.n)::numeric, 3)),
           supp(w.nc, round(m.med, 1))
    FROM a LEFT JOIN w USING (department, target_group)
           LEFT JOIN m USING (department, target_group)
    ORDER BY 1, 2
$$;

-- Intervention mixes: parallel against sequential (and the rest), with
-- the progression and exits of each.
CREATE OR REPLACE FUNCTION dashboard.mix(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (mix text, citizens bigint, share_improved numeric,
               share_deteriorated numeric, mean_change numeric,
               ended bigint, share_exit_work_or_education numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    WITH a AS (SELECT key, citizens FROM fremdrift.dash_cells(p_from, p_to,
                   p_department, p_target_group, 'mix')
               WHERE department = 'all' AND target_group = 'all'),
    p AS (SELECT * FROM fremdrift.dash_cells(p_from, p_to, p_department,
              p_target_group, 'mix_prog')
          WHERE department = 'all' AND target_group = 'all'),
    e AS (SELECT * FROM fremdrift.dash_cells(p_from, p_to, p_department,
              p_target_group, 'mix_exit')
          WHERE department = 'all' AND target_group = 'all')
    SELECT a.key, supp(a.citizens, a.citizens),
           supp(p.citizens, round((p.s1 / p.s4)::numeric, 3)),
           supp(p.citizens, round((p.s2 / p.s4)::numeric, 3)),
           supp(p.citizens, round((p.s3 / p.s4)::numeric, 1)),
           supp(e.citizens, e.citizens),
           supp(e.citizens, round((e.s1 / e.n)::numeric, 3))
    FROM a LEFT JOIN p USING (key) LEFT JOIN e USING (key)
    ORDER BY array_position(ARRAY['parallel','sequential','company_only',
                                  'other_only','none'], a.key)
$$;

-- Paid hours per week in courses that have hours.
CREATE OR REPLACE FUNCTION dashboard.paid_hours(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, citizens bigint, mean_paid_hours_week numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    SELECT x.department, supp(x.citizens, x.citizens),
           supp(x.citizens, round((x.s1 / x.n)::numeric, 1))
    FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, 'paid') x
    WHERE x.target_group = 'all'
    ORDER BY 1
$$;

-- The consultant's belief in the job chance against progression and exits.
CREATE OR REPLACE FUNCTION dashboard.belief(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (job_chance smallint, citizens bigint, share_improved numeric,
               mean_change numeric, ended bigint,
               share_exit_work_or_education numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift
SET work_mem = '32MB' AS $$
    WITH a AS (SELECT key, citizens FROM fremdrift.dash_cells(p_from, p_to,
                   p_department, p_target_group, 'belief')
               WHERE department = 'all' AND target_group = 'all'),
    p AS (SELECT * FROM fremdrift.dash_cells(p_from, p_to, p_department,
              p_target_group, 'belief_prog')
          WHERE department = 'all' AND target_group = 'all'),
    e AS (SELECT * FROM fremdrift.dash_cells(p_from, p_to, p_department,
              p_target_group, 'belief_exit')
          WHERE department = 'all' AND target_group = 'all')
    SELECT a.key::smallint, supp(a.citizens, a.citizens),
           supp(p.citizens, round((p.s1 / p.s4)::numeric, 3)),
           supp(p.citizens, round((p.s3 / p.s4)::numeric, 1)),
           supp(e.citizens, e.citizens),
           supp(e.citizens, round((e.s1 / e.n)::numeric, 3))
    FROM a LEFT JOIN p USING (key) LEFT JOIN e USING (key)
    ORDER BY 1
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA dashboard FROM PUBLIC;
GRANT USAGE ON SCHEMA dashboard TO dashboard;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA dashboard TO dashboard;
