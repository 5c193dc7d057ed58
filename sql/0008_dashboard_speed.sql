-- The dashboard, faster to read and to rebuild at 300,000 courses (figures
-- in docs/benchmarks.md).

-- fremdrift.dash_cells() as PL/pgSQL that plans its query for each call's
-- own values.
--
-- As an SQL function inlined into the dashboard functions, its period was a
-- parameter at planning time: the planner guessed a few hundred rows of
-- dash_extra where a one-month period at 300,000 courses reads some 76,000,
-- and chose sorts and nested loops sized for the guess (a one-month
-- `subgoals` took about 105 ms). Planned with the values as constants, and
-- with sorts ruled out (every step here groups or joins on a few hundred
-- cells, which hashing does in one pass), the same call takes about 35 ms.
-- Planning costs about 5 ms of that.
--
-- Same signature and result as the 0007 version; the dashboard functions
-- call it unchanged.
CREATE OR REPLACE FUNCTION fremdrift.dash_cells(p_from date, p_to date,
        p_department text, p_target_group text, p_pop text)
RETURNS TABLE (department text, target_group text, key text,
               citizens bigint, n bigint, s1 double precision,
               s2 double precision, s3 double precision, s4 double precision)
LANGUAGE plpgsql STABLE SET enable_sort = off AS $f$
DECLARE
    f integer := coalesce(fremdrift.month_no(p_from), -32767);
    t integer := coalesce(fremdrift.month_no(p_to), 32766);
    mf smallint;
    mt smallint;
BEGIN
    IF f > t THEN
        RETURN;             -- an empty period (the API answers 400)
    END IF;
    SELECT max(m) INTO mf FROM fremdrift.dash_months WHERE m <= f;
    SELECT max(m) INTO mt FROM fremdrift.dash_months WHERE m <= t;
    -- $1 $2 month numbers of the period, $3 $4 filters, $5 population,
    -- $6 $7 the dash_months breakpoints at or before from and to.
    RETURN QUERY EXECUTE $q$
    WITH extra AS (
        -- Rows whose citizen has earlier rows: counted where none of
        -- those overlaps the period (prev < from).
        SELECT x.cell,
               sum(x.n) FILTER (WHERE x.prev_da <> -32768 AND x.prev_da < $1) AS c_da,
               sum(x.n) FILTER (WHERE x.prev_d <> -32768 AND x.prev_d < $1) AS c_d,
               sum(x.n) FILTER (WHERE x.prev_a <> -32768 AND x.prev_a < $1) AS c_a,
               sum(x.n) FILTER (WHERE x.prev_all < $1) AS c_all
        FROM fremdrift.dash_extra x
        WHERE x.pop = $5
          AND int4range(x.prev_lo, x.end_m, '(]') @> $1
          AND x.start_m <= $2
          AND ($3 IS NULL OR x.department = $3)
          AND ($4 IS NULL OR x.agreement = $4)
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
        FROM fremdrift.dash_prefix a
        JOIN fremdrift.dash_prefix z ON z.pop = $5 AND z.m = $6
             AND z.cell = a.cell
        LEFT JOIN extra e ON e.cell = a.cell
        WHERE a.pop = $5 AND a.m = $7
          AND ($3 IS NULL OR a.department = $3)
          AND ($4 IS NULL OR a.agreement = $4)
    ), g AS (
        -- The counts at each level are sums of rows, so they add up from
        -- the finest cells to the coarser ones.
        SELECT key AS k, department AS d, agreement AS a,
               GROUPING(department) = 0 OR $3 IS NOT NULL AS by_d,
               GROUPING(agreement) = 0 OR $4 IS NOT NULL AS by_a,
               sum(c_da) AS c_da, sum(c_d) AS c_d, sum(c_a) AS c_a,
               sum(c_all) AS c_all, sum(fine.n) AS n, sum(fine.s1) AS s1,
               sum(fine.s2) AS s2, sum(fine.s3) AS s3, sum(fine.s4) AS s4
        FROM fine WHERE fine.n > 0
        GROUP BY GROUPING SETS ((key, department, agreement),
                                (key, department), (key, agreement), (key))
    )
    SELECT coalesce(d, 'all')::text, coalesce(a, 'all')::text, k::text,
           (CASE WHEN by_d AND by_a THEN c_da WHEN by_d THEN c_d
                 WHEN by_a THEN c_a ELSE c_all END)::bigint,
           n::bigint, s1, s2, s3, s4
    FROM g
    $q$ USING f, t, p_department, p_target_group, p_pop, mf, mt;
END $f$;

-- fremdrift.dash_rebuild(), about 6 seconds faster at 300,000 courses:
--
-- * The prev_* of citizens with two to four courses come from one sort and
--   three lag()s instead of four window sorts (about 8.5 s down to 6 s);
--   citizens with five courses or more keep the four running maxima.
-- * dash_extra's indexes are SP-GiST, not GiST: building them takes about
--   a third of the time (2.1 s down to 0.6 s for the largest population)
--   and a search is as fast or faster.
-- * The tables the dashboard reads (dash_months, dash_prefix, dash_extra)
--   are written as *_next tables by dash_build() while the dashboard keeps
--   reading the live ones, and swapped in by dash_swap() at the end: a
--   call made during a refresh answers from the previous figures instead
--   of waiting half a minute for the refresh to finish.
-- * A row whose earlier rows all end at or after its own end (a course
--   inside a longer one) stays out of dash_extra: no period counts it
--   there, and 0007 failed on it (its range's bounds were reversed).
--
-- Otherwise as in 0007, whose comments explain the populations and columns.

-- Builds the cube from fremdrift.courses and fremdrift.progression, and
-- from it dash_months_next, dash_prefix_next and dash_extra_next for
-- dash_swap() to put in place. Returns the number of cube rows.
-- Populations (pop / key / measures):
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
CREATE FUNCTION fremdrift.dash_build() RETURNS bigint
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
    pops text[];
BEGIN
    -- Refresh rewrote these in this transaction: plan with fresh figures.
    ANALYZE fremdrift.courses, fremdrift.progression,
            fremdrift.dimension_reliability, fremdrift.instrument_dimensions,
            fremdrift.instrument_subgoals, fremdrift.exit_statuses;
    -- The tables the dashboard reads are built anew beside the live ones
    -- and swapped in at the end, so a dashboard call made during a
    -- refresh reads the previous figures instead of waiting for it.
    CREATE TABLE fremdrift.dash_months_next
        (LIKE fremdrift.dash_months INCLUDING ALL);
    CREATE TABLE fremdrift.dash_prefix_next
        (LIKE fremdrift.dash_prefix INCLUDING ALL);
    CREATE TABLE fremdrift.dash_extra_next
        (LIKE fremdrift.dash_extra INCLUDING ALL EXCLUDING INDEXES);
    TRUNCATE fremdrift.dash_cube;
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
           count(*) OVER (PARTITION BY pseudonym) AS courses
    FROM fremdrift.courses;
    CREATE TEMP TABLE dash_cm ON COMMIT DROP AS
    SELECT * FROM dash_c WHERE courses BETWEEN 2 AND 4;
    CREATE TEMP TABLE dash_cx ON COMMIT DROP AS
    SELECT * FROM dash_c WHERE courses > 4;
    DELETE FROM dash_c WHERE courses > 1;
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
    ANALYZE dash_c, dash_cm, dash_cx, dash_p, dash_pc, dash_s;

    -- Citizens with one course: no earlier rows.
    EXECUTE format($q$
        INSERT INTO fremdrift.dash_cube
        SELECT pop, key, department, agreement, sm, em,
               -32768, -32768, -32768, -32768, n, s1, s2, s3, s4
        FROM (%s) r $q$,
        format(rows_sql, 'dash_c', 'NULL::bigint AS citizen, '
               'NULL::bigint AS ord'));
    -- The others: the latest end among the citizen's earlier rows at each
    -- level. A row has at most three earlier rows where the citizen has
    -- at most four courses (nearly everyone): one sort by citizen and
    -- three lags give all four levels.
    EXECUTE format($q$
        INSERT INTO fremdrift.dash_cube
        SELECT pop, key, department, agreement, sm, em,
               coalesce(greatest(
                   CASE WHEN d1 = department AND a1 = agreement THEN e1 END,
                   CASE WHEN d2 = department AND a2 = agreement THEN e2 END,
                   CASE WHEN d3 = department AND a3 = agreement THEN e3 END),
                   -32768),
               coalesce(greatest(CASE WHEN d1 = department THEN e1 END,
                                 CASE WHEN d2 = department THEN e2 END,
                                 CASE WHEN d3 = department THEN e3 END),
                        -32768),
               coalesce(greatest(CASE WHEN a1 = agreement THEN e1 END,
                                 CASE WHEN a2 = agreement THEN e2 END,
                                 CASE WHEN a3 = agreement THEN e3 END),
                        -32768),
               coalesce(greatest(e1, e2, e3), -32768),
               n, s1, s2, s3, s4
        FROM (SELECT r.*,
                     lag(em, 1) OVER w AS e1, lag(department, 1) OVER w AS d1,
                     lag(agreement, 1) OVER w AS a1,
                     lag(em, 2) OVER w AS e2, lag(department, 2) OVER w AS d2,
                     lag(agreement, 2) OVER w AS a2,
                     lag(em, 3) OVER w AS e3, lag(department, 3) OVER w AS d3,
                     lag(agreement, 3) OVER w AS a3
              FROM (%s) r
              WINDOW w AS (PARTITION BY pop, key, citizen ORDER BY ord)) l $q$,
        format(rows_sql, 'dash_cm', 'c.citizen, c.ord'));
    -- Citizens with five courses or more: a running maximum per level.
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
        format(rows_sql, 'dash_cx', 'c.citizen, c.ord'));
    DROP TABLE dash_c, dash_cm, dash_cx, dash_p, dash_pc, dash_s;
    -- A course recorded as ending before it started lasts its first month.
    UPDATE fremdrift.dash_cube SET end_m = start_m WHERE end_m < start_m;

    INSERT INTO fremdrift.dash_months_next
    SELECT start_m FROM fremdrift.dash_cube
    UNION SELECT end_m + 1 FROM fremdrift.dash_cube WHERE end_m < 32767
    UNION SELECT -32768;
    ANALYZE fremdrift.dash_months_next;
    INSERT INTO fremdrift.dash_prefix_next
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
    FROM (SELECT cells.*, dm.m FROM cells, fremdrift.dash_months_next dm) g
    LEFT JOIN st USING (pop, key, department, agreement, m)
    LEFT JOIN en USING (pop, key, department, agreement, m)
    WINDOW w AS (PARTITION BY g.pop, g.key, g.department, g.agreement
                 ORDER BY g.m);
    ANALYZE fremdrift.dash_prefix_next;
    INSERT INTO fremdrift.dash_extra_next
    SELECT p.cell, x.pop, x.key, x.department, x.agreement, x.start_m,
           x.end_m, x.prev_da, x.prev_d, x.prev_a, x.prev_all,
           least(nullif(x.prev_da, -32768), nullif(x.prev_d, -32768),
                 nullif(x.prev_a, -32768), nullif(x.prev_all, -32768)), x.n
    FROM fremdrift.dash_cube x
    JOIN fremdrift.dash_prefix_next p ON p.m = -32768 AND p.pop = x.pop
         AND p.key = x.key AND p.department = x.department
         AND p.agreement = x.agreement
    WHERE x.prev_all <> -32768
      -- Where every earlier row ends at or after this one (a course inside
      -- a longer one), no period counts this row at any level with an
      -- earlier row: (prev_lo, end_m] is empty.
      AND least(nullif(x.prev_da, -32768), nullif(x.prev_d, -32768),
                nullif(x.prev_a, -32768), nullif(x.prev_all, -32768))
          < x.end_m
    ORDER BY x.pop, x.end_m;
    pops := ARRAY(SELECT DISTINCT pop FROM fremdrift.dash_extra_next);
    FOREACH name IN ARRAY pops
    LOOP
        EXECUTE format('CREATE INDEX %I ON fremdrift.dash_extra_next USING spgist '
                       '(int4range(prev_lo, end_m, %L)) WHERE pop = %L',
                       'dash_extra_next_' || name, '(]', name);
    END LOOP;
    ANALYZE fremdrift.dash_extra_next;
    SELECT count(*) INTO total FROM fremdrift.dash_cube;
    RETURN total;
END $$;

-- Puts the tables dash_build() wrote in place of the live ones. It takes
-- the live tables' exclusive locks, so run it last, just before COMMIT: a
-- dashboard call waits only from here to the commit. A call already
-- waiting looks the names up again once it gets its lock, and reads the
-- new tables.
CREATE FUNCTION fremdrift.dash_swap() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text;
BEGIN
    DROP TABLE fremdrift.dash_months, fremdrift.dash_prefix,
               fremdrift.dash_extra;
    ALTER TABLE fremdrift.dash_months_next RENAME TO dash_months;
    ALTER INDEX fremdrift.dash_months_next_pkey RENAME TO dash_months_pkey;
    ALTER TABLE fremdrift.dash_prefix_next RENAME TO dash_prefix;
    ALTER INDEX fremdrift.dash_prefix_next_pkey RENAME TO dash_prefix_pkey;
    ALTER TABLE fremdrift.dash_extra_next RENAME TO dash_extra;
    FOR name IN SELECT indexname FROM pg_indexes
                WHERE schemaname = 'fremdrift' AND tablename = 'dash_extra'
    LOOP
        EXECUTE format('ALTER INDEX fremdrift.%I RENAME TO %I', name,
                       replace(name, 'dash_extra_next_', 'dash_extra_'));
    END LOOP;
END $$;

-- Both in one call, for `fremdrift measure refresh` (inside its
-- transaction): the number of cube rows.
CREATE OR REPLACE FUNCTION fremdrift.dash_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    total bigint := fremdrift.dash_build();
BEGIN
    PERFORM fremdrift.dash_swap();
    RETURN total;
END $$;

REVOKE EXECUTE ON FUNCTION fremdrift.dash_build(), fremdrift.dash_swap()
    FROM PUBLIC;
