-- The dashboard's release, built by `fremdrift measure refresh` through
-- fremdrift.dash_build() and corrected by `fremdrift erase` through
-- fremdrift.dash_forget(). The tables are in sql/0009_dashboard_release.sql;
-- the published rows are made by dash_publish() (50_dash_publish.sql).
--
-- What is counted (docs/dashboard.md):
-- * Periods are fixed: quarters and years. A course counts in every period
--   it runs in (to the refresh's day, if still running) for the figures of
--   citizens in course, and in the period it ended for exits and
--   follow-ups.
-- * Breakdowns are fixed: department x target group, department, target
--   group and all.
-- * Every count is of distinct citizens. Where a citizen has several
--   courses in one cell, the cell counts them once, with their latest
--   course (latest start; of two started the same day, the one with the
--   greater course key); their other courses there are left out.
--
-- How it is computed fast: every course's facts (one row per population
-- and key: the course, each dimension with progression, each sub-goal,
-- ...) are summed per population, key, department, target group and range
-- of quarters, then spread over the range's periods and the four
-- breakdowns. Citizens with one course (nine in ten) need nothing more.
-- For citizens with several courses, the courses that are not the
-- citizen's latest in some period and breakdown are found (a window over
-- a few thousand rows) and their facts subtracted there again.

-- The facts of the courses in dash_dc, as the temporary view dash_fv: one
-- row per course, family ('o': counted while running, 'e': counted when
-- ended), population and key, with the course's department, target group,
-- quarters (qa..qb), citizen's keys and number of courses; c1..c3 flags of
-- subsets, v a bounded value.
--   course  ''         c1 a company-oriented intervention
--   cdays   band       (courses with one: days from start to the first,
--                      by band, for the median)
--   prog    dimension  c1 improved, c2 deteriorated (reliable change),
--                      v change (0-100 points, cut at +-100)
--   sub     sub-goal   c1 attained
--   mix     mix        c1 progression measured, c2 improved on a
--                      dimension, c3 deteriorated on one, v mean change
--   belief  job chance as mix
--   paid    ''         v paid hours a week (cut at 0-37)
--   exit    status     (ended courses)
--   follow  status
--   mix_end, belief_end  c1 exit towards work or education
-- v is kept in whole thousandths (of a point, of an hour), so its sums
-- are exact whatever order they are added in, and the same data always
-- gives the same release.
-- A course has one row per dimension and sub-goal unless two questionnaire
-- versions (or instruments) share a dimension's name: only then are its
-- rows grouped, which costs seconds at 300,000 courses.
CREATE OR REPLACE FUNCTION fremdrift.dash_facts() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    shared_dims boolean := EXISTS (
        SELECT 1 FROM fremdrift.instrument_dimensions
        GROUP BY dimension HAVING count(*) > 1);
    shared_subs boolean := EXISTS (
        SELECT 1 FROM fremdrift.instrument_subgoals
        GROUP BY subgoal HAVING count(*) > 1);
BEGIN
    EXECUTE format($q$
        CREATE TEMP TABLE dash_p ON COMMIT DROP AS
        SELECT d.id, d.department, d.tg, d.sq, d.eq, d.kc, d.ks, d.courses,
               p.dimension COLLATE "C" AS dimension, %s
        FROM report.progression p JOIN dash_dc d ON d.course = p.course_key
        WHERE p.n_responses >= 2 %s $q$,
        CASE WHEN shared_dims
             THEN 'max((p.reliable_change = ''improved'')::int) AS imp, '
                  'max((p.reliable_change = ''deteriorated'')::int) AS det, '
                  'round(1000 * avg(greatest(-100, least(100, p.change))))::float8 AS change'
             ELSE '(p.reliable_change = ''improved'')::int AS imp, '
                  '(p.reliable_change = ''deteriorated'')::int AS det, '
                  'round(1000 * greatest(-100, least(100, p.change)))::float8 AS change'
        END,
        CASE WHEN shared_dims THEN 'GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9' END);
    CREATE TEMP TABLE dash_pc ON COMMIT DROP AS
    SELECT id, max(imp) AS imp, max(det) AS det, round(avg(change)) AS ch
    FROM dash_p GROUP BY id;
    EXECUTE format($q$
        CREATE TEMP TABLE dash_s ON COMMIT DROP AS
        SELECT d.id, d.department, d.tg, d.sq, d.eq, d.kc, d.ks, d.courses,
               s.subgoal COLLATE "C" AS subgoal, %s AS attained
        FROM report.subgoal_attainment s
        JOIN dash_dc d ON d.course = s.course_key %s $q$,
        CASE WHEN shared_subs THEN 'max(s.attained::int)'
             ELSE 's.attained::int' END,
        CASE WHEN shared_subs THEN 'GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9' END);
    ANALYZE dash_p, dash_pc, dash_s;
    CREATE TEMP VIEW dash_fv AS
    SELECT id, 'o'::"char" AS fam, department, tg, sq AS qa, eq AS qb, kc, ks,
           courses, 'course'::text COLLATE "C" AS pop,
           ''::text COLLATE "C" AS key,
           (first_company IS NOT NULL)::int AS c1, 0 AS c2, 0 AS c3,
           0::float8 AS v
    FROM dash_dc
    UNION ALL
    SELECT id, 'o', department, tg, sq, eq, kc, ks, courses, 'cdays',
           CASE WHEN first_company - started < 14 THEN '000'
                WHEN first_company - started < 28 THEN '014'
                WHEN first_company - started < 56 THEN '028'
                WHEN first_company - started < 91 THEN '056'
                WHEN first_company - started < 182 THEN '091'
                ELSE '182' END, 0, 0, 0, 0
    FROM dash_dc WHERE first_company IS NOT NULL
    UNION ALL
    SELECT id, 'o', department, tg, sq, eq, kc, ks, courses, 'prog',
           dimension, imp, det, 0, change
    FROM dash_p
    UNION ALL
    SELECT id, 'o', department, tg, sq, eq, kc, ks, courses, 'sub', subgoal,
           attained, 0, 0, 0
    FROM dash_s
    UNION ALL
    SELECT d.id, 'o', d.department, d.tg, d.sq, d.eq, d.kc, d.ks, d.courses,
           'mix', d.mix, (pc.id IS NOT NULL)::int, coalesce(pc.imp, 0),
           coalesce(pc.det, 0), coalesce(pc.ch, 0)
    FROM dash_dc d LEFT JOIN dash_pc pc USING (id)
    UNION ALL
    SELECT d.id, 'o', d.department, d.tg, d.sq, d.eq, d.kc, d.ks, d.courses,
           'belief', d.job_chance::text, (pc.id IS NOT NULL)::int,
           coalesce(pc.imp, 0), coalesce(pc.det, 0), coalesce(pc.ch, 0)
    FROM dash_dc d LEFT JOIN dash_pc pc USING (id)
    WHERE d.job_chance IS NOT NULL
    UNION ALL
    SELECT id, 'o', department, tg, sq, eq, kc, ks, courses, 'paid', '',
           0, 0, 0, round(1000 * greatest(0, least(37, paid_hours_week)))::float8
    FROM dash_dc WHERE paid_hours_week IS NOT NULL
    UNION ALL
    SELECT id, 'e', department, tg, xq, xq, kc, ks, courses, 'exit',
           exit_status, 0, 0, 0, 0
    FROM dash_dc WHERE xq IS NOT NULL
    UNION ALL
    SELECT id, 'e', department, tg, xq, xq, kc, ks, courses, 'follow',
           followup_status, 0, 0, 0, 0
    FROM dash_dc WHERE xq IS NOT NULL AND followup_status IS NOT NULL
    UNION ALL
    SELECT d.id, 'e', d.department, d.tg, d.xq, d.xq, d.kc, d.ks, d.courses,
           'mix_end', d.mix, x.towards_work::int, 0, 0, 0
    FROM dash_dc d JOIN fremdrift.exit_statuses x ON x.code = d.exit_status
    WHERE d.xq IS NOT NULL
    UNION ALL
    SELECT d.id, 'e', d.department, d.tg, d.xq, d.xq, d.kc, d.ks, d.courses,
           'belief_end', d.job_chance::text, x.towards_work::int, 0, 0, 0
    FROM dash_dc d JOIN fremdrift.exit_statuses x ON x.code = d.exit_status
    WHERE d.xq IS NOT NULL AND d.job_chance IS NOT NULL;
END $$;

-- The courses of every citizen (p_pseudonym NULL) or of one, as of a day,
-- summed into cells in the temporary table dash_delta: what those
-- citizens add to fremdrift.dash_cells. Returns its number of rows.
CREATE OR REPLACE FUNCTION fremdrift.dash_contrib(p_pseudonym bytea,
        p_as_of date)
RETURNS bigint LANGUAGE plpgsql SET work_mem = '256MB' SET jit = off
    SET client_min_messages = warning AS $$
DECLARE
    total bigint;
BEGIN
    DROP VIEW IF EXISTS dash_fv;
    DROP TABLE IF EXISTS dash_dc, dash_p, dash_pc, dash_s, dash_nr, dash_a,
                         dash_delta;
    CREATE TEMP TABLE dash_dc ON COMMIT DROP AS
    SELECT row_number() OVER () AS id, c.course, c.pseudonym,
           k.k_count::float8 AS kc, k.k_sum::float8 AS ks,
           c.department COLLATE "C" AS department,
           c.agreement COLLATE "C" AS tg, c.started,
           fremdrift.quarter_index(c.started) AS sq,
           fremdrift.quarter_index(greatest(c.started,
               least(coalesce(c.ended, p_as_of), p_as_of))) AS eq,
           CASE WHEN c.ended <= p_as_of AND c.exit_status IS NOT NULL
                THEN fremdrift.quarter_index(greatest(c.started, c.ended))
           END AS xq,
           c.first_company, c.mix COLLATE "C" AS mix, c.job_chance,
           c.exit_status COLLATE "C" AS exit_status,
           c.followup_status COLLATE "C" AS followup_status,
           c.paid_hours_week,
           count(*) OVER (PARTITION BY c.pseudonym) AS courses
    FROM fremdrift.courses c
    JOIN fremdrift.citizen_keys k USING (pseudonym)
    WHERE c.started <= p_as_of
      AND (p_pseudonym IS NULL OR c.pseudonym = p_pseudonym);
    ANALYZE dash_dc;
    PERFORM fremdrift.dash_facts();

    -- Where a citizen's course is not their latest in a period and
    -- breakdown (level da: department and target group, d, a, all).
    CREATE TEMP TABLE dash_nr ON COMMIT DROP AS
    SELECT id, fam, period, lvl
    FROM (SELECT id, fam, period,
              row_number() OVER (PARTITION BY pseudonym, fam, period,
                  department, tg ORDER BY started DESC, course DESC) AS r_da,
              row_number() OVER (PARTITION BY pseudonym, fam, period,
                  department ORDER BY started DESC, course DESC) AS r_d,
              row_number() OVER (PARTITION BY pseudonym, fam, period,
                  tg ORDER BY started DESC, course DESC) AS r_a,
              row_number() OVER (PARTITION BY pseudonym, fam, period
                  ORDER BY started DESC, course DESC) AS r_all
          FROM (SELECT d.id, d.course, d.pseudonym, d.started, d.department,
                       d.tg, 'o'::"char" AS fam, p.period
                FROM dash_dc d, fremdrift.dash_periods(d.sq, d.eq) p(period)
                WHERE d.courses > 1
                UNION ALL
                SELECT d.id, d.course, d.pseudonym, d.started, d.department,
                       d.tg, 'e', p.period
                FROM dash_dc d, fremdrift.dash_periods(d.xq, d.xq) p(period)
                WHERE d.courses > 1 AND d.xq IS NOT NULL) e) w,
         LATERAL (VALUES ('da', r_da), ('d', r_d), ('a', r_a),
                         ('all', r_all)) l(lvl, r)
    WHERE r > 1;

    -- Every course's facts, summed per range of quarters: millions of
    -- rows into some tens of thousands of groups. The planner, guessing
    -- far more groups, would sort them all: hash them.
    PERFORM set_config('enable_sort', 'off', true);
    CREATE TEMP TABLE dash_a ON COMMIT DROP AS
    SELECT pop, key, department, tg, qa, qb,
           count(*) AS n, sum(kc) AS kn,
           sum(c1) AS c1, sum(kc * c1) AS k1,
           sum(c2) AS c2, sum(kc * c2) AS k2,
           sum(c3) AS c3, sum(kc * c3) AS k3,
           sum(v) AS v, sum(ks) AS kv
    FROM dash_fv
    GROUP BY 1, 2, 3, 4, 5, 6;
    PERFORM set_config('enable_sort', 'on', true);
    ANALYZE dash_a;
    CREATE TEMP TABLE dash_delta ON COMMIT DROP AS
    WITH spread AS (
        SELECT a.pop, a.key, p.period,
               CASE WHEN GROUPING(a.department) = 0 THEN a.department
                    ELSE 'all' END AS department,
               CASE WHEN GROUPING(a.tg) = 0 THEN a.tg
                    ELSE 'all' END AS target_group,
               sum(a.n) AS n, sum(a.kn) AS kn, sum(a.c1) AS c1,
               sum(a.k1) AS k1, sum(a.c2) AS c2, sum(a.k2) AS k2,
               sum(a.c3) AS c3, sum(a.k3) AS k3, sum(a.v) AS v,
               sum(a.kv) AS kv
        FROM dash_a a, fremdrift.dash_periods(a.qa, a.qb) p(period)
        GROUP BY GROUPING SETS ((a.pop, a.key, p.period, a.department, a.tg),
                                (a.pop, a.key, p.period, a.department),
                                (a.pop, a.key, p.period, a.tg),
                                (a.pop, a.key, p.period))
    ), fix AS (
        -- The courses that are not their citizen's latest, taken out.
        SELECT f.pop, f.key, nr.period,
               CASE WHEN nr.lvl IN ('da', 'd') THEN f.department
                    ELSE 'all' END,
               CASE WHEN nr.lvl IN ('da', 'a') THEN f.tg ELSE 'all' END,
               -count(*), -sum(f.kc), -sum(f.c1), -sum(f.kc * f.c1),
               -sum(f.c2), -sum(f.kc * f.c2), -sum(f.c3), -sum(f.kc * f.c3),
               -sum(f.v), -sum(f.ks)
        FROM dash_nr nr
        JOIN (SELECT * FROM dash_fv WHERE courses > 1) f
             ON f.id = nr.id AND f.fam = nr.fam
        GROUP BY 1, 2, 3, 4, 5
    )
    SELECT pop, period, department COLLATE "C" AS department,
           target_group COLLATE "C" AS target_group, key,
           sum(n)::integer AS n, sum(kn)::bigint AS kn,
           sum(c1)::integer AS c1, sum(k1)::bigint AS k1,
           sum(c2)::integer AS c2, sum(k2)::bigint AS k2,
           sum(c3)::integer AS c3, sum(k3)::bigint AS k3,
           sum(v)::float8 AS v, sum(kv)::bigint AS kv
    FROM (SELECT * FROM spread UNION ALL SELECT * FROM fix) u
    GROUP BY pop, period, department, target_group, key
    HAVING sum(n) > 0;
    DROP VIEW dash_fv;      -- before its tables go at the commit
    SELECT count(*) INTO total FROM dash_delta;
    RETURN total;
END $$;

-- The refresh's part, in its transaction: record keys for new citizens,
-- the true cells as of today, the parameters, and the published rows of
-- the periods that have ended since the last refresh (50_dash_publish.sql).
-- Readers keep reading the previous rows until the commit (no table is
-- replaced, so nothing waits). Returns the number of cells.
CREATE OR REPLACE FUNCTION fremdrift.dash_build(p_min_cell integer,
        p_noise_sd double precision, p_noise_max integer,
        p_scale_change double precision, p_scale_hours double precision)
RETURNS bigint LANGUAGE plpgsql SET work_mem = '256MB' SET jit = off
    SET client_min_messages = warning AS $$
DECLARE
    as_of date := current_date;
    total bigint;
BEGIN
    IF p_min_cell < 1 OR p_noise_sd <= 0 OR p_noise_max < 1
       OR p_scale_change <= 0 OR p_scale_hours <= 0 THEN
        RAISE EXCEPTION 'dashboard protection parameters out of range';
    END IF;
    -- Refresh rewrote these in this transaction: plan with fresh figures.
    ANALYZE fremdrift.courses, fremdrift.progression,
            fremdrift.dimension_reliability, fremdrift.citizen_keys;
    -- Two strong random 32-bit keys for each citizen not seen before
    -- (gen_random_uuid() draws from the operating system's generator).
    INSERT INTO fremdrift.citizen_keys
    SELECT pseudonym,
           ('x' || left(replace(u::text, '-', ''), 8))::bit(32)::bigint,
           ('x' || right(u::text, 8))::bit(32)::bigint
    FROM (SELECT DISTINCT pseudonym FROM fremdrift.courses) c,
         LATERAL (SELECT gen_random_uuid() AS u OFFSET 0) g
    ON CONFLICT (pseudonym) DO NOTHING;
    total := fremdrift.dash_contrib(NULL, as_of);
    DELETE FROM fremdrift.dash_cells;
    INSERT INTO fremdrift.dash_cells SELECT * FROM dash_delta;
    INSERT INTO fremdrift.dash_params AS p (as_of, min_cell, noise_sd,
        noise_max, thresholds, scale_change, scale_hours, refreshed_at)
    VALUES (as_of, p_min_cell, p_noise_sd, p_noise_max,
            -- each of a count's two noises: half the variance, half the
            -- range
            fremdrift.dash_thresholds(p_noise_sd / sqrt(2),
                                      (p_noise_max + 1) / 2),
            p_scale_change, p_scale_hours, now())
    ON CONFLICT (one) DO UPDATE SET as_of = excluded.as_of,
        min_cell = excluded.min_cell, noise_sd = excluded.noise_sd,
        noise_max = excluded.noise_max, thresholds = excluded.thresholds,
        scale_change = excluded.scale_change,
        scale_hours = excluded.scale_hours,
        refreshed_at = excluded.refreshed_at;
    DROP TABLE IF EXISTS dash_touched;
    PERFORM fremdrift.dash_publish(false);
    RETURN total;
END $$;

-- Takes one citizen out of the release in place, before `fremdrift erase`
-- deletes their rows: their contribution, computed as the build computes
-- it, is subtracted from the true cells, and the published rows of every
-- period and breakdown they were in are made again from those cells (new
-- noise in each whole row: 50_dash_publish.sql). The same lock as a
-- refresh keeps the two apart. Returns the number of cells changed.
CREATE OR REPLACE FUNCTION fremdrift.dash_forget(p_pseudonym bytea)
RETURNS bigint LANGUAGE plpgsql SET client_min_messages = warning AS $$
DECLARE
    as_of date;
    total bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(4242020602);
    SELECT p.as_of INTO as_of FROM fremdrift.dash_params p;
    IF NOT FOUND THEN
        RETURN 0;           -- no release yet
    END IF;
    total := fremdrift.dash_contrib(p_pseudonym, as_of);
    UPDATE fremdrift.dash_cells c
    SET n = c.n - d.n, kn = c.kn - d.kn, c1 = c.c1 - d.c1,
        k1 = c.k1 - d.k1, c2 = c.c2 - d.c2, k2 = c.k2 - d.k2,
        c3 = c.c3 - d.c3, k3 = c.k3 - d.k3, v = c.v - d.v, kv = c.kv - d.kv
    FROM dash_delta d
    WHERE c.pop = d.pop AND c.period = d.period
      AND c.department = d.department AND c.target_group = d.target_group
      AND c.key = d.key;
    DELETE FROM fremdrift.dash_cells WHERE n <= 0;
    DROP TABLE IF EXISTS dash_touched;
    CREATE TEMP TABLE dash_touched ON COMMIT DROP AS
    SELECT DISTINCT period, department, target_group FROM dash_delta;
    PERFORM fremdrift.dash_publish(true);
    RETURN total;
END $$;

REVOKE EXECUTE ON FUNCTION fremdrift.dash_facts(),
    fremdrift.dash_contrib(bytea, date),
    fremdrift.dash_build(integer, double precision, integer,
                         double precision, double precision),
    fremdrift.dash_forget(bytea) FROM PUBLIC;
