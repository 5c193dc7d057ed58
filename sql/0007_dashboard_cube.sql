-- The dashboard served from aggregates built at refresh time.
--
-- `fremdrift measure refresh` ends by calling fremdrift.dash_rebuild(),
-- which folds every course (and every course x dimension, course x
-- sub-goal, ...) into fremdrift.dash_cube: counts and sums per
-- population, key, department, target group, start month, end month and
-- "previous end" months, and from it into running sums per month
-- (fremdrift.dash_prefix). A dashboard call then reads two rows per cell
-- instead of aggregating millions of progression rows, and still counts
-- distinct citizens exactly, for any period of whole months:
--
--   For each population and grouping, order one citizen's rows by start.
--   A row overlaps the period [F, T] when start <= T and end >= F. Count a
--   row as a new citizen only when none of the same citizen's earlier rows
--   in the same grouping overlaps the period. An earlier row started no
--   later, so it overlaps exactly when its end >= F; hence: count the row
--   when the latest end among the earlier rows (prev_*) is before F. Each
--   citizen with a row in the period is then counted exactly once.
--
-- The grouping decides whose earlier rows matter: within department and
-- target group (prev_da), department (prev_d), target group (prev_a) or
-- everything (prev_all); the cube keeps all four.
--
-- Periods are whole months: `from` counts from the first of its month and
-- `to` to the last of its month. Besides speed this blunts differencing
-- (two periods a day apart revealing one citizen's course).

-- Nothing looks progression up by citizen often enough to pay for this
-- index: a refresh writes 2 million random 32-byte keys into it (about
-- 5 s at 300,000 courses), while an access or erasure request, the only
-- reader by pseudonym, scans the table in well under a second.
DROP INDEX fremdrift.progression_citizen;

CREATE FUNCTION fremdrift.month_no(d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (extract(year FROM d)::integer - 2000) * 12
          + extract(month FROM d)::integer - 1 $$;

CREATE TABLE fremdrift.dash_cube (
    pop        text COLLATE "C" NOT NULL, -- population, see dash_rebuild()
    key        text COLLATE "C" NOT NULL, -- dimension, sub-goal, mix, ...
    department text COLLATE "C" NOT NULL,
    agreement  text COLLATE "C" NOT NULL,
    start_m    smallint NOT NULL,   -- month_no(started)
    end_m      smallint NOT NULL,   -- month_no(ended); 32767 still open
    prev_da    smallint NOT NULL,   -- latest end_m of the citizen's earlier
    prev_d     smallint NOT NULL,   --   rows with the same pop and key and
    prev_a     smallint NOT NULL,   --   department+target group / department
    prev_all   smallint NOT NULL,   --   / target group / any; -32768 none
    n          integer NOT NULL,    -- rows (courses, course x dimension, ...)
    s1         double precision NOT NULL,
    s2         double precision NOT NULL,
    s3         double precision NOT NULL,
    s4         double precision NOT NULL
);

-- Rows of citizens with earlier rows need the prev test, and only when an
-- earlier row ended before the period starts while this one still runs:
-- prev_lo < F <= end_m, found by stabbing the range (prev_lo, end_m] with
-- F. Those rows are copied here, narrow (their sums are in dash_prefix
-- already) and in (pop, end_m) order, so a search touches few pages.
-- dash_rebuild() builds one GiST index per population (dash_extra_<pop>,
-- partial on pop = '<pop>') after the rows are in: a bulk build is several
-- times cheaper than row-by-row upkeep, and a small index per population
-- is faster to search than one over all.
CREATE TABLE fremdrift.dash_extra (
    cell       integer NOT NULL,    -- dash_prefix.cell
    pop        text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    department text COLLATE "C" NOT NULL,
    agreement  text COLLATE "C" NOT NULL,
    start_m    smallint NOT NULL,
    end_m      smallint NOT NULL,
    prev_da    smallint NOT NULL,
    prev_d     smallint NOT NULL,
    prev_a     smallint NOT NULL,
    prev_all   smallint NOT NULL,
    prev_lo    smallint NOT NULL,   -- the least real prev_*
    n          integer NOT NULL
);

-- Running sums of the cube per cell (pop, key, department, target group)
-- at each month where one changes (fremdrift.dash_months). Rows overlap
-- [F, T] when start <= T and end >= F; as end >= start, those are the rows
-- started by T less the rows ended before F (which all started by T, for
-- F <= T). So any period's counts and sums are two lookups per cell:
-- a_*(T) - b_*(F). c_* count only rows without earlier rows of the same
-- citizen at that level (prev_* = -32768); the rest are added from the
-- cube itself.
CREATE TABLE fremdrift.dash_months (
    m smallint PRIMARY KEY        -- a start_m or end_m + 1; -32768 sentinel
);
CREATE TABLE fremdrift.dash_prefix (
    cell       integer NOT NULL,    -- numbers (pop, key, department, agreement)
    pop        text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    department text COLLATE "C" NOT NULL,
    agreement  text COLLATE "C" NOT NULL,
    m          smallint NOT NULL,
    -- rows with start_m <= m
    a_n bigint NOT NULL, a_da bigint NOT NULL, a_d bigint NOT NULL,
    a_a bigint NOT NULL, a_all bigint NOT NULL,
    a_s1 double precision NOT NULL, a_s2 double precision NOT NULL,
    a_s3 double precision NOT NULL, a_s4 double precision NOT NULL,
    -- rows with end_m < m
    b_n bigint NOT NULL, b_da bigint NOT NULL, b_d bigint NOT NULL,
    b_a bigint NOT NULL, b_all bigint NOT NULL,
    b_s1 double precision NOT NULL, b_s2 double precision NOT NULL,
    b_s3 double precision NOT NULL, b_s4 double precision NOT NULL,
    PRIMARY KEY (pop, m, key, department, agreement)
);

-- Rebuilds the cube from fremdrift.courses and fremdrift.progression;
-- called by `fremdrift measure refresh` inside its transaction. Returns
-- the number of cube rows. Populations (pop / key / measures):
--   course       ''            s1 has a company-oriented intervention
--   company      ''            (courses with one)
--   company_days days to first (courses with one; for the median)
--   prog         dimension     s1 improved, s2 deteriorated, s3 change
--                              (rows with at least two responses)
--   sub          sub-goal      s1 attained
--   mix          mix           (all courses)
--   mix_prog     mix           s1 improved, s2 deteriorated, s3 change,
--                              s4 dimension rows: sums over the course's
--                              prog rows
--   mix_exit     mix           s1 exit towards work or education
--   paid         ''            s1 the course's mean paid hours a week
--   belief, belief_prog, belief_exit: as mix_*, key the job chance 1-5
--   exit         exit status   (ended courses)
--   follow       follow-up status
CREATE FUNCTION fremdrift.dash_rebuild() RETURNS bigint
LANGUAGE plpgsql SET work_mem = '256MB' SET jit = off
    SET client_min_messages = warning AS $$
DECLARE
    -- Every population's rows from the courses in table %1$I, summed per
    -- cell; %2$s is either two NULLs (cells of many citizens) or the
    -- citizen and the course's number (one cell per course, for windows).
    rows_sql CONSTANT text := $q$
        SELECT 'course'::text COLLATE "C" AS pop, ''::text COLLATE "C" AS key,
               department, agreement,
               sm, em, %2$s, count(*) AS n,
               sum((first_company IS NOT NULL)::int)::float8 AS s1,
               0::float8 AS s2, 0::float8 AS s3, 0::float8 AS s4
        FROM %1$I c GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'company', '', department, agreement, sm, em, %2$s, count(*),
               0, 0, 0, 0
        FROM %1$I c WHERE first_company IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'company_days', (first_company - started)::text, department,
               agreement, sm, em, %2$s, count(*), 0, 0, 0, 0
        FROM %1$I c WHERE first_company IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'prog', p.dimension, department, agreement, sm, em, %2$s,
               count(*), sum(p.imp), sum(p.det), sum(p.change), 0
        FROM %1$I c JOIN dash_p p USING (course) WHERE p.counts
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'sub', a.subgoal, department, agreement, sm, em, %2$s,
               count(*), sum(a.attained::int), 0, 0, 0
        FROM %1$I c JOIN dash_s a USING (course)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'mix', mix, department, agreement, sm, em, %2$s, count(*),
               0, 0, 0, 0
        FROM %1$I c GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'mix_prog', mix, department, agreement, sm, em, %2$s, count(*),
               sum(pc.imp), sum(pc.det), sum(pc.ch), sum(pc.k)
        FROM %1$I c JOIN dash_pc pc USING (course)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'mix_exit', mix, department, agreement, sm, em, %2$s, count(*),
               sum(x.towards_work::int), 0, 0, 0
        FROM %1$I c JOIN fremdrift.exit_statuses x ON x.code = c.exit_status
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'paid', '', department, agreement, sm, em, %2$s, count(*),
               sum(paid_hours_week), 0, 0, 0
        FROM %1$I c WHERE paid_hours_week IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'belief', job_chance::text, department, agreement, sm, em,
               %2$s, count(*), 0, 0, 0, 0
        FROM %1$I c WHERE job_chance IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'belief_prog', job_chance::text, department, agreement, sm, em,
               %2$s, count(*), sum(pc.imp), sum(pc.det), sum(pc.ch), sum(pc.k)
        FROM %1$I c JOIN dash_pc pc USING (course) WHERE job_chance IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'belief_exit', job_chance::text, department, agreement, sm, em,
               %2$s, count(*), sum(x.towards_work::int), 0, 0, 0
        FROM %1$I c JOIN fremdrift.exit_statuses x ON x.code = c.exit_status
        WHERE job_chance IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'exit', exit_status, department, agreement, sm, em, %2$s,
               count(*), 0, 0, 0, 0
        FROM %1$I c WHERE exit_status IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        UNION ALL
        SELECT 'follow', followup_status, department, agreement, sm, em, %2$s,
               count(*), 0, 0, 0, 0
        FROM %1$I c WHERE followup_status IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 $q$;
    total bigint;
    name text;
BEGIN
    -- Refresh rewrote these in this transaction: plan with fresh figures.
    ANALYZE fremdrift.courses, fremdrift.progression,
            fremdrift.dimension_reliability, fremdrift.instrument_dimensions,
            fremdrift.instrument_subgoals, fremdrift.exit_statuses;
    FOREACH name IN ARRAY ARRAY(SELECT indexname FROM pg_indexes
                WHERE schemaname = 'fremdrift' AND tablename = 'dash_extra'
                  AND indexname LIKE 'dash\_extra\_%')
    LOOP
        EXECUTE format('DROP INDEX fremdrift.%I', name);
    END LOOP;
    TRUNCATE fremdrift.dash_cube, fremdrift.dash_extra;
    -- The course columns the cube needs; a citizen's courses numbered in
    -- start order (ord) where the citizen has several.
    CREATE TEMP TABLE dash_c ON COMMIT DROP AS
    SELECT course, dense_rank() OVER (ORDER BY pseudonym) AS citizen,
           row_number() OVER (ORDER BY pseudonym, started, course) AS ord,
           department COLLATE "C" AS department,
           agreement COLLATE "C" AS agreement, started,
           fremdrift.month_no(started) AS sm,
           coalesce(fremdrift.month_no(ended), 32767) AS em,
           first_company, mix COLLATE "C" AS mix, job_chance,
           exit_status COLLATE "C" AS exit_status,
           followup_status COLLATE "C" AS followup_status, paid_hours_week,
           count(*) OVER (PARTITION BY pseudonym) > 1 AS multi
    FROM fremdrift.courses;
    CREATE TEMP TABLE dash_cm ON COMMIT DROP AS
    SELECT * FROM dash_c WHERE multi;
    DELETE FROM dash_c WHERE multi;
    CREATE TEMP TABLE dash_p ON COMMIT DROP AS
    SELECT course_key AS course, dimension, n_responses >= 2 AS counts,
           (reliable_change = 'improved')::int AS imp,
           (reliable_change = 'deteriorated')::int AS det, change
    FROM report.progression;
    CREATE TEMP TABLE dash_pc ON COMMIT DROP AS
    SELECT course, sum(imp) AS imp, sum(det) AS det, sum(change) AS ch,
           count(*) AS k
    FROM dash_p WHERE counts GROUP BY course;
    CREATE TEMP TABLE dash_s ON COMMIT DROP AS
    SELECT course_key AS course, subgoal, attained
    FROM report.subgoal_attainment;
    ANALYZE dash_c, dash_cm, dash_p, dash_pc, dash_s;

    -- Citizens with one course: no earlier rows.
    EXECUTE format($q$
        INSERT INTO fremdrift.dash_cube
        SELECT pop, key, department, agreement, sm, em,
               -32768, -32768, -32768, -32768, n, s1, s2, s3, s4
        FROM (%s) r $q$,
        format(rows_sql, 'dash_c', 'NULL::bigint AS citizen, '
               'NULL::bigint AS ord'));
    -- The others: the latest end among the citizen's earlier rows at each
    -- level.
    EXECUTE format($q$
        INSERT INTO fremdrift.dash_cube
        SELECT pop, key, department, agreement, sm, em,
               coalesce(max(em) OVER (PARTITION BY pop, key, citizen,
                   department, agreement ORDER BY ord
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -32768),
               coalesce(max(em) OVER (PARTITION BY pop, key, citizen,
                   department ORDER BY ord
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -32768),
               coalesce(max(em) OVER (PARTITION BY pop, key, citizen,
                   agreement ORDER BY ord
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -32768),
               coalesce(max(em) OVER (PARTITION BY pop, key, citizen
                   ORDER BY ord
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), -32768),
               n, s1, s2, s3, s4
        FROM (%s) r $q$,
        format(rows_sql, 'dash_cm', 'c.citizen, c.ord'));
    DROP TABLE dash_c, dash_cm, dash_p, dash_pc, dash_s;
    -- A course recorded as ending before it started lasts its first month.
    UPDATE fremdrift.dash_cube SET end_m = start_m WHERE end_m < start_m;

    TRUNCATE fremdrift.dash_months, fremdrift.dash_prefix;
    INSERT INTO fremdrift.dash_months
    SELECT start_m FROM fremdrift.dash_cube
    UNION SELECT end_m + 1 FROM fremdrift.dash_cube WHERE end_m < 32767
    UNION SELECT -32768;
    ANALYZE fremdrift.dash_months;
    INSERT INTO fremdrift.dash_prefix
    WITH cells AS (
        SELECT row_number() OVER () AS cell, *
        FROM (SELECT DISTINCT pop, key, department, agreement
              FROM fremdrift.dash_cube) d
    ), st AS (
        SELECT pop, key, department, agreement, start_m AS m, sum(n) AS n,
               sum(n) FILTER (WHERE prev_da = -32768) AS da,
               sum(n) FILTER (WHERE prev_d = -32768) AS d,
               sum(n) FILTER (WHERE prev_a = -32768) AS a,
               sum(n) FILTER (WHERE prev_all = -32768) AS al,
               sum(s1) AS s1, sum(s2) AS s2, sum(s3) AS s3, sum(s4) AS s4
        FROM fremdrift.dash_cube GROUP BY 1, 2, 3, 4, 5
    ), en AS (
        SELECT pop, key, department, agreement, end_m + 1 AS m, sum(n) AS n,
               sum(n) FILTER (WHERE prev_da = -32768) AS da,
               sum(n) FILTER (WHERE prev_d = -32768) AS d,
               sum(n) FILTER (WHERE prev_a = -32768) AS a,
               sum(n) FILTER (WHERE prev_all = -32768) AS al,
               sum(s1) AS s1, sum(s2) AS s2, sum(s3) AS s3, sum(s4) AS s4
        FROM fremdrift.dash_cube WHERE end_m < 32767 GROUP BY 1, 2, 3, 4, 5
    )
    SELECT g.cell, g.pop, g.key, g.department, g.agreement, g.m,
           sum(coalesce(st.n, 0)) OVER w, sum(coalesce(st.da, 0)) OVER w,
           sum(coalesce(st.d, 0)) OVER w, sum(coalesce(st.a, 0)) OVER w,
           sum(coalesce(st.al, 0)) OVER w, sum(coalesce(st.s1, 0)) OVER w,
           sum(coalesce(st.s2, 0)) OVER w, sum(coalesce(st.s3, 0)) OVER w,
           sum(coalesce(st.s4, 0)) OVER w,
           sum(coalesce(en.n, 0)) OVER w, sum(coalesce(en.da, 0)) OVER w,
           sum(coalesce(en.d, 0)) OVER w, sum(coalesce(en.a, 0)) OVER w,
           sum(coalesce(en.al, 0)) OVER w, sum(coalesce(en.s1, 0)) OVER w,
           sum(coalesce(en.s2, 0)) OVER w, sum(coalesce(en.s3, 0)) OVER w,
           sum(coalesce(en.s4, 0)) OVER w
    FROM (SELECT cells.*, dm.m FROM cells, fremdrift.dash_months dm) g
    LEFT JOIN st USING (pop, key, department, agreement, m)
    LEFT JOIN en USING (pop, key, department, agreement, m)
    WINDOW w AS (PARTITION BY g.pop, g.key, g.department, g.agreement
                 ORDER BY g.m);
    ANALYZE fremdrift.dash_prefix;
    INSERT INTO fremdrift.dash_extra
    SELECT p.cell, x.pop, x.key, x.department, x.agreement, x.start_m,
           x.end_m, x.prev_da, x.prev_d, x.prev_a, x.prev_all,
           least(nullif(x.prev_da, -32768), nullif(x.prev_d, -32768),
                 nullif(x.prev_a, -32768), nullif(x.prev_all, -32768)), x.n
    FROM fremdrift.dash_cube x
    JOIN fremdrift.dash_prefix p ON p.m = -32768 AND p.pop = x.pop
         AND p.key = x.key AND p.department = x.department
         AND p.agreement = x.agreement
    WHERE x.prev_all <> -32768
    ORDER BY x.pop, x.end_m;
    FOREACH name IN ARRAY ARRAY(SELECT DISTINCT pop FROM fremdrift.dash_extra)
    LOOP
        EXECUTE format('CREATE INDEX %I ON fremdrift.dash_extra USING gist '
                       '(int4range(prev_lo, end_m, %L)) WHERE pop = %L',
                       'dash_extra_' || name, '(]', name);
    END LOOP;
    ANALYZE fremdrift.dash_extra;
    SELECT count(*) INTO total FROM fremdrift.dash_cube;
    RETURN total;
END $$;

-- The cells of one population for a period (whole months) and optional
-- department and target group: per key at four levels (by department and
-- target group, by department, by target group, overall; 'all' where a
-- level does not split), with exact distinct citizens, the number of rows
-- and the sums of the measures.
CREATE FUNCTION fremdrift.dash_cells(p_from date, p_to date,
        p_department text, p_target_group text, p_pop text)
RETURNS TABLE (department text, target_group text, key text,
               citizens bigint, n bigint, s1 double precision,
               s2 double precision, s3 double precision, s4 double precision)
LANGUAGE sql STABLE AS $$
    WITH b AS (
        SELECT coalesce(fremdrift.month_no(p_from), -32767) AS f,
               coalesce(fremdrift.month_no(p_to), 32766) AS t
    ), k AS (
        SELECT b.f, b.t,
               (SELECT max(m) FROM fremdrift.dash_months WHERE m <= b.f) AS mf,
               (SELECT max(m) FROM fremdrift.dash_months WHERE m <= b.t) AS mt
        FROM b WHERE b.f <= b.t
    ), extra AS MATERIALIZED (
        -- Rows whose citizen has earlier rows: counted where none of
        -- those overlaps the period (prev < F).
        SELECT x.cell,
               sum(x.n) FILTER (WHERE x.prev_da <> -32768 AND x.prev_da < k.f) AS c_da,
               sum(x.n) FILTER (WHERE x.prev_d <> -32768 AND x.prev_d < k.f) AS c_d,
               sum(x.n) FILTER (WHERE x.prev_a <> -32768 AND x.prev_a < k.f) AS c_a,
               sum(x.n) FILTER (WHERE x.prev_all < k.f) AS c_all
        FROM fremdrift.dash_extra x, k
        WHERE x.pop = p_pop
          AND int4range(x.prev_lo, x.end_m, '(]') @> k.f
          AND x.start_m <= k.t
          AND (p_department IS NULL OR x.department = p_department)
          AND (p_target_group IS NULL OR x.agreement = p_target_group)
        GROUP BY x.cell
    ), fine AS (
        SELECT a.key, a.department, a.agreement,
               a.a_da - z.b_da + coalesce(e.c_da, 0) AS c_da,
               a.a_d - z.b_d + coalesce(e.c_d, 0) AS c_d,
               a.a_a - z.b_a + coalesce(e.c_a, 0) AS c_a,
               a.a_all - z.b_all + coalesce(e.c_all, 0) AS c_all,
               a.a_n - z.b_n AS n, a.a_s1 - z.b_s1 AS s1,
               a.a_s2 - z.b_s2 AS s2, a.a_s3 - z.b_s3 AS s3,
               a.a_s4 - z.b_s4 AS s4
        FROM k
        JOIN fremdrift.dash_prefix a ON a.pop = p_pop AND a.m = k.mt
        JOIN fremdrift.dash_prefix z ON z.pop = p_pop AND z.m = k.mf
             AND z.cell = a.cell
        LEFT JOIN extra e ON e.cell = a.cell
        WHERE (p_department IS NULL OR a.department = p_department)
          AND (p_target_group IS NULL OR a.agreement = p_target_group)
    ), g AS (
        -- The counts at each level are sums of rows, so they add up from
        -- the finest cells to the coarser ones.
        SELECT key AS k, department AS d, agreement AS a,
               GROUPING(department) = 0 OR p_department IS NOT NULL AS by_d,
               GROUPING(agreement) = 0 OR p_target_group IS NOT NULL AS by_a,
               sum(c_da) AS c_da, sum(c_d) AS c_d, sum(c_a) AS c_a,
               sum(c_all) AS c_all, sum(fine.n) AS n, sum(fine.s1) AS s1,
               sum(fine.s2) AS s2, sum(fine.s3) AS s3, sum(fine.s4) AS s4
        FROM fine WHERE fine.n > 0
        GROUP BY GROUPING SETS ((key, department, agreement),
                                (key, department), (key, agreement), (key))
    )
    SELECT coalesce(d, 'all'), coalesce(a, 'all'), k,
           (CASE WHEN by_d AND by_a THEN c_da WHEN by_d THEN c_d
                 WHEN by_a THEN c_a ELSE c_all END)::bigint,
           n::bigint, s1, s2, s3, s4
    FROM g
$$;

-- Hides a value unless its cell has at least 5 citizens.
-- (fremdrift.supp(n, v) from 0004.)

-- Primary and secondary suppression of a distribution: a cell under 5 is
-- hidden, and where exactly one cell of a department is hidden, so is the
-- next smallest, so the first cannot be worked out from a total.
CREATE FUNCTION fremdrift.dash_distribution(p_from date, p_to date,
        p_department text, p_target_group text, p_pop text)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE AS $$
    WITH c AS (
        SELECT x.department, x.key, x.citizens AS n
        FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, p_pop) x
        WHERE x.department <> 'all' AND x.target_group = 'all'
    ), r AS (
        SELECT *, count(*) FILTER (WHERE n < 5) OVER (PARTITION BY department) AS nsupp,
               row_number() OVER (PARTITION BY department ORDER BY (n < 5), n, key) AS smallest
        FROM c
    )
    SELECT department, key,
           CASE WHEN n < 5 OR (nsupp = 1 AND smallest = 1) THEN NULL ELSE n END,
           n < 5 OR (nsupp = 1 AND smallest = 1)
    FROM r ORDER BY 1, 2
$$;

DROP FUNCTION fremdrift.dash_distribution(date, date, text, text, boolean);

CREATE OR REPLACE FUNCTION dashboard.exits(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    SELECT * FROM fremdrift.dash_distribution(p_from, p_to, p_department, p_target_group, 'exit')
$$;

CREATE OR REPLACE FUNCTION dashboard.followups(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
    SELECT * FROM fremdrift.dash_distribution(p_from, p_to, p_department, p_target_group, 'follow')
$$;

-- Citizens in course, by department and target group (a distribution of
-- each department over target groups, suppressed the same way).
CREATE OR REPLACE FUNCTION dashboard.overview(p_from date DEFAULT NULL, p_to date DEFAULT NULL,
        p_department text DEFAULT NULL, p_target_group text DEFAULT NULL)
RETURNS TABLE (department text, target_group text, citizens bigint,
               suppressed boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
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
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, fremdrift AS $$
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

-- The request-time aggregation is gone; what is left to sort or group
-- (the rows of citizens with several courses) stays in memory with this.
DROP FUNCTION fremdrift.dash_courses(date, date, text, text);
ALTER FUNCTION dashboard.overview(date, date, text, text) SET work_mem = '32MB';
ALTER FUNCTION dashboard.progression(date, date, text, text) SET work_mem = '32MB';
ALTER FUNCTION dashboard.subgoals(date, date, text, text) SET work_mem = '32MB';
ALTER FUNCTION dashboard.company(date, date, text, text) SET work_mem = '32MB';
ALTER FUNCTION dashboard.mix(date, date, text, text) SET work_mem = '32MB';
ALTER FUNCTION dashboard.paid_hours(date, date, text, text) SET work_mem = '32MB';
ALTER FUNCTION dashboard.belief(date, date, text, text) SET work_mem = '32MB';
ALTER FUNCTION dashboard.exits(date, date, text, text) SET work_mem = '32MB';
ALTER FUNCTION dashboard.followups(date, date, text, text) SET work_mem = '32MB';

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA fremdrift FROM PUBLIC;
