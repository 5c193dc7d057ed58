-- The published rows of the dashboard (fremdrift.dash_published), made
-- from the true cells (fremdrift.dash_cells) with the cell key method's
-- noise (10_formulas.sql).
--
-- A period is published once, by the first refresh after it has ended,
-- and then stays as it was: a closed quarter or year does not change when
-- late events arrive or a running course's progression moves on, so the
-- figures a leader reads for it are the same at every meeting, and no
-- series of daily releases can be compared to find who changed what. The
-- one exception is an erasure (40_dash_build.sql): the rows of every
-- period and breakdown the erased citizen was in are made again, from the
-- last refresh's cells less that citizen, with new noise in the whole row.
--
-- Every period, breakdown and category gets a row, zeros included, so
-- that a row's presence tells nothing. Each figure is a function of
-- perturbed counts and perturbed sums only:
--   citizens   the perturbed count; NULL under min_cell
--   share1/2   a / (a + b) of two perturbed counts, the citizens with the
--              outcome and those without (each its own key); NULL unless
--              both are at least min_cell
--   mean       a perturbed sum over the perturbed count
--   ended, share_end  the same for the courses that ended in the period
--   median     days to the first company-oriented intervention, from the
--              perturbed counts of six bands

-- Which populations make each view's rows, and its categories.
CREATE OR REPLACE VIEW fremdrift.dash_view_keys AS
SELECT 'overview'::text COLLATE "C" AS view, 'course'::text COLLATE "C" AS pa,
       NULL::text COLLATE "C" AS pb, ''::text COLLATE "C" AS key
UNION ALL
SELECT 'progression', 'prog', NULL, dimension
FROM (SELECT DISTINCT dimension FROM fremdrift.instrument_dimensions) d
UNION ALL
SELECT 'subgoals', 'sub', NULL, subgoal
FROM (SELECT DISTINCT subgoal FROM fremdrift.instrument_subgoals) s
UNION ALL
SELECT 'company', 'course', NULL, ''
UNION ALL
SELECT 'mix', 'mix', 'mix_end', m
FROM unnest(ARRAY['parallel', 'sequential', 'company_only', 'other_only',
                  'none']) m
UNION ALL
SELECT 'paid_hours', 'paid', NULL, ''
UNION ALL
SELECT 'belief', 'belief', 'belief_end', g::text FROM generate_series(1, 5) g
UNION ALL
SELECT 'exits', 'exit', NULL, code FROM fremdrift.exit_statuses
UNION ALL
SELECT 'followups', 'follow', NULL, code FROM fremdrift.exit_statuses;

-- Writes the published rows of the periods and breakdowns in dash_touched
-- that are published already (p_touched, after an erasure), or of every
-- period that has ended and is not published yet (dash_touched made here,
-- with every department and target group).
CREATE OR REPLACE FUNCTION fremdrift.dash_publish(p_touched boolean)
RETURNS bigint LANGUAGE plpgsql SET client_min_messages = warning AS $$
DECLARE
    prm fremdrift.dash_params;
    total bigint;
BEGIN
    SELECT * INTO STRICT prm FROM fremdrift.dash_params;
    IF p_touched THEN
        DELETE FROM dash_touched t WHERE NOT EXISTS (
            SELECT 1 FROM fremdrift.dash_published p
            WHERE p.view = 'overview' AND p.kind = fremdrift.period_kind(t.period)
              AND p.period_start = fremdrift.period_start(t.period));
        DELETE FROM fremdrift.dash_published p USING dash_touched t
        WHERE p.period_start = fremdrift.period_start(t.period)
          AND p.kind = fremdrift.period_kind(t.period)
          AND p.department = t.department
          AND p.target_group = t.target_group;
    ELSE
        CREATE TEMP TABLE dash_touched ON COMMIT DROP AS
        SELECT p.period, d.department COLLATE "C" AS department,
               a.target_group COLLATE "C" AS target_group
        FROM fremdrift.dash_periods(
                 coalesce((SELECT fremdrift.quarter_index(min(started))
                           FROM fremdrift.courses
                           WHERE started <= prm.as_of),
                          fremdrift.quarter_index(prm.as_of)),
                 fremdrift.quarter_index(prm.as_of)) p(period),
             (SELECT code FROM fremdrift.departments
              UNION ALL SELECT 'all') d(department),
             (SELECT code FROM fremdrift.target_groups
              UNION ALL SELECT 'all') a(target_group)
        WHERE fremdrift.period_end(p.period) < prm.as_of
          AND NOT EXISTS (
              SELECT 1 FROM fremdrift.dash_published x
              WHERE x.view = 'overview'
                AND x.kind = fremdrift.period_kind(p.period)
                AND x.period_start = fremdrift.period_start(p.period));
    END IF;
    -- Each row's fingerprint: every cell of its period and breakdown.
    CREATE TEMP TABLE dash_fp ON COMMIT DROP AS
    SELECT c.period, c.department, c.target_group,
           (sum(c.kn + 3 * c.k1 + 5 * c.k2 + 7 * c.k3 + 11 * c.kv)
               % 4294967296)::bigint AS g
    FROM fremdrift.dash_cells c
    JOIN dash_touched t USING (period, department, target_group)
    GROUP BY 1, 2, 3;
    INSERT INTO fremdrift.dash_published
    WITH med AS (
        -- The median of the perturbed band counts, by straight-line
        -- interpolation inside its band (the last band, 26 weeks and
        -- more, is taken to end at a year).
        SELECT period, department, target_group,
               round(lo + (half - (cum - cnt)) / cnt * (hi - lo)) AS median
        FROM (SELECT c.period, c.department, c.target_group,
                     c.key::integer AS lo,
                     CASE c.key WHEN '000' THEN 14 WHEN '014' THEN 28
                                WHEN '028' THEN 56 WHEN '056' THEN 91
                                WHEN '091' THEN 182 ELSE 365 END AS hi,
                     fremdrift.dash_count(c.n, c.kn, f.g, prm.thresholds)::numeric
                         AS cnt,
                     sum(fremdrift.dash_count(c.n, c.kn, f.g, prm.thresholds))
                         OVER (PARTITION BY c.period, c.department,
                                            c.target_group ORDER BY c.key)
                         AS cum,
                     sum(fremdrift.dash_count(c.n, c.kn, f.g, prm.thresholds))
                         OVER (PARTITION BY c.period, c.department,
                                            c.target_group) / 2.0 AS half
              FROM fremdrift.dash_cells c
              JOIN dash_fp f USING (period, department, target_group)
              WHERE c.pop = 'cdays') x
        WHERE cnt > 0 AND cum >= half AND cum - cnt < half
          AND half * 2 >= prm.min_cell
    )
    SELECT k.view,
           fremdrift.period_kind(g.period),
           fremdrift.period_start(g.period), fremdrift.period_label(g.period),
           g.department, g.target_group, k.key,
           fremdrift.dash_shown(a.n, a.kn, fp.g, prm.thresholds, prm.min_cell),
           CASE WHEN k.view IN ('progression', 'subgoals', 'company')
                THEN fremdrift.dash_share(a.c1, a.k1, a.n - a.c1, a.kn - a.k1,
                                          fp.g, prm.thresholds, prm.min_cell)
                WHEN k.view IN ('mix', 'belief')
                THEN fremdrift.dash_share(a.c2, a.k2, a.c1 - a.c2, a.k1 - a.k2,
                                          fp.g, prm.thresholds, prm.min_cell)
           END,
           CASE WHEN k.view = 'progression'
                THEN fremdrift.dash_share(a.c2, a.k2, a.n - a.c2, a.kn - a.k2,
                                          fp.g, prm.thresholds, prm.min_cell)
                WHEN k.view IN ('mix', 'belief')
                THEN fremdrift.dash_share(a.c3, a.k3, a.c1 - a.c3, a.k1 - a.k3,
                                          fp.g, prm.thresholds, prm.min_cell)
           END,
           CASE WHEN k.view = 'progression'
                THEN fremdrift.dash_mean(a.v / 1000, a.kv, a.n, a.kn, fp.g,
                         prm.scale_change, prm.thresholds, prm.min_cell, 1)
                WHEN k.view IN ('mix', 'belief')
                THEN fremdrift.dash_mean(a.v / 1000, a.kv, a.c1, a.k1, fp.g,
                         prm.scale_change, prm.thresholds, prm.min_cell, 1)
                WHEN k.view = 'paid_hours'
                THEN fremdrift.dash_mean(a.v / 1000, a.kv, a.n, a.kn, fp.g,
                         prm.scale_hours, prm.thresholds, prm.min_cell, 1)
           END,
           CASE WHEN k.pb IS NOT NULL
                THEN fremdrift.dash_shown(b.n, b.kn, fp.g, prm.thresholds,
                                          prm.min_cell) END,
           CASE WHEN k.pb IS NOT NULL
                THEN fremdrift.dash_share(b.c1, b.k1, b.n - b.c1, b.kn - b.k1,
                                          fp.g, prm.thresholds, prm.min_cell) END,
           CASE WHEN k.view = 'company'
                     AND fremdrift.dash_shown(a.c1, a.k1, fp.g, prm.thresholds,
                                              prm.min_cell) IS NOT NULL
                THEN m.median END
    FROM dash_touched g
    CROSS JOIN fremdrift.dash_view_keys k
    LEFT JOIN fremdrift.dash_cells a ON a.pop = k.pa AND a.period = g.period
         AND a.department = g.department AND a.target_group = g.target_group
         AND a.key = k.key
    LEFT JOIN fremdrift.dash_cells b ON b.pop = k.pb AND b.period = g.period
         AND b.department = g.department AND b.target_group = g.target_group
         AND b.key = k.key
    LEFT JOIN dash_fp fp ON fp.period = g.period
         AND fp.department = g.department AND fp.target_group = g.target_group
    LEFT JOIN med m ON k.view = 'company' AND m.period = g.period
         AND m.department = g.department AND m.target_group = g.target_group;
    GET DIAGNOSTICS total = ROW_COUNT;
    DROP TABLE dash_fp;
    RETURN total;
END $$;

REVOKE ALL ON fremdrift.dash_view_keys FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION fremdrift.dash_publish(boolean) FROM PUBLIC;
