-- The dashboard's aggregates, built at refresh time: what
-- `fremdrift measure refresh` calls last, in its transaction, through
-- fremdrift.dash_rebuild(). The tables are in sql/0007_dashboard_cube.sql
-- (their columns are explained there); the readers in 50_dash_read.sql.
--
-- dash_build() folds every course (and every course x dimension, course x
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
-- Choices made for speed (figures at 300,000 courses, docs/benchmarks.md):
-- * The prev_* of citizens with two to four courses come from one sort and
--   three lag()s instead of four window sorts (about 8.5 s down to 6 s);
--   citizens with five courses or more keep the four running maxima.
-- * dash_extra's indexes are SP-GiST, not GiST: building them takes about
--   a third of the time (2.1 s down to 0.6 s for the largest population)
--   and a search is as fast or faster. They are built after the rows are
--   in, one per population: a bulk build is several times cheaper than
--   row-by-row upkeep, and a small index per population is faster to
--   search than one over all.
-- * The tables the dashboard reads (dash_months, dash_prefix, dash_extra)
--   are written as *_next tables by dash_build() while the dashboard keeps
--   reading the live ones, and swapped in by dash_swap() at the end: a
--   call made during a refresh answers from the previous figures instead
--   of waiting half a minute for the refresh to finish.
-- * A row whose earlier rows all end at or after its own end (a course
--   inside a longer one) stays out of dash_extra: no period counts it
--   there (its range (prev_lo, end_m] is empty).

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
CREATE OR REPLACE FUNCTION fremdrift.dash_build() RETURNS bigint
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
CREATE OR REPLACE FUNCTION fremdrift.dash_swap() RETURNS void
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

REVOKE EXECUTE ON FUNCTION fremdrift.dash_build(), fremdrift.dash_swap(),
    fremdrift.dash_rebuild() FROM PUBLIC;
