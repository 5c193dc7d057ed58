-- The dashboard for leadership: plain views in schema dashboard, one per
-- view and kind of period, which BI tools list as tables; and
-- fremdrift.dash_answer(), which `GET /api/v1/dashboard/<view>`
-- (server/dapi.c) calls. Both read only the published release
-- (fremdrift.dash_published, 50_dash_publish.sql): figures already
-- perturbed and suppressed, for fixed periods and breakdowns, so no
-- question can make a new cell to subtract from another.
--
-- The views run with their owner's rights (the role dashboard reads them
-- and nothing else). department and target_group are catalogue codes or
-- 'all'; NULL in a figure means fewer than min_cell citizens, or a share
-- whose outcome or its complement is that small.

-- The protection in place: how much noise and suppression (docs/dashboard.md).
CREATE OR REPLACE VIEW dashboard.protection AS
SELECT 'cell key method'::text AS method,
       p.min_cell, 2 * ((p.noise_max + 1) / 2) AS noise_max,
       -- the standard deviation of the sum of a count's two noises (the
       -- view may call no fremdrift function: its readers cannot)
       round(sqrt(2 * (SELECT sum(w * d * d) / sum(w)
                       FROM (SELECT d, exp(-(d * d) / p.noise_sd ^ 2) AS w
                             FROM generate_series(-(p.noise_max + 1) / 2,
                                                  (p.noise_max + 1) / 2) d) x
                      ))::numeric, 2) AS noise_sd,
       p.scale_change AS sum_noise_points, p.scale_hours AS sum_noise_hours,
       p.as_of, p.refreshed_at
FROM fremdrift.dash_params p;

-- One view per dashboard view and kind of period, written out (not made
-- in a loop) so that each is defined, and found, in exactly one place:
-- period, period_start, department and target_group, then the view's own
-- columns.

CREATE OR REPLACE VIEW dashboard.overview_quarter AS
SELECT period, period_start, department, target_group, citizens
FROM fremdrift.dash_published WHERE view = 'overview' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.overview_year AS
SELECT period, period_start, department, target_group, citizens
FROM fremdrift.dash_published WHERE view = 'overview' AND kind = 'year';

CREATE OR REPLACE VIEW dashboard.progression_quarter AS
SELECT period, period_start, department, target_group, key AS dimension,
       citizens, share1 AS share_improved, share2 AS share_deteriorated,
       mean AS mean_change
FROM fremdrift.dash_published WHERE view = 'progression' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.progression_year AS
SELECT period, period_start, department, target_group, key AS dimension,
       citizens, share1 AS share_improved, share2 AS share_deteriorated,
       mean AS mean_change
FROM fremdrift.dash_published WHERE view = 'progression' AND kind = 'year';

CREATE OR REPLACE VIEW dashboard.subgoals_quarter AS
SELECT period, period_start, department, target_group, key AS subgoal,
       citizens, share1 AS share_attained
FROM fremdrift.dash_published WHERE view = 'subgoals' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.subgoals_year AS
SELECT period, period_start, department, target_group, key AS subgoal,
       citizens, share1 AS share_attained
FROM fremdrift.dash_published WHERE view = 'subgoals' AND kind = 'year';

CREATE OR REPLACE VIEW dashboard.company_quarter AS
SELECT period, period_start, department, target_group, citizens,
       share1 AS share_with_company, median AS median_days_to_first
FROM fremdrift.dash_published WHERE view = 'company' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.company_year AS
SELECT period, period_start, department, target_group, citizens,
       share1 AS share_with_company, median AS median_days_to_first
FROM fremdrift.dash_published WHERE view = 'company' AND kind = 'year';

CREATE OR REPLACE VIEW dashboard.mix_quarter AS
SELECT period, period_start, department, target_group, key AS mix, citizens,
       share1 AS share_improved, share2 AS share_deteriorated,
       mean AS mean_change, ended, share_end AS share_exit_work_or_education
FROM fremdrift.dash_published WHERE view = 'mix' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.mix_year AS
SELECT period, period_start, department, target_group, key AS mix, citizens,
       share1 AS share_improved, share2 AS share_deteriorated,
       mean AS mean_change, ended, share_end AS share_exit_work_or_education
FROM fremdrift.dash_published WHERE view = 'mix' AND kind = 'year';

CREATE OR REPLACE VIEW dashboard.paid_hours_quarter AS
SELECT period, period_start, department, target_group, citizens,
       mean AS mean_paid_hours_week
FROM fremdrift.dash_published WHERE view = 'paid_hours' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.paid_hours_year AS
SELECT period, period_start, department, target_group, citizens,
       mean AS mean_paid_hours_week
FROM fremdrift.dash_published WHERE view = 'paid_hours' AND kind = 'year';

CREATE OR REPLACE VIEW dashboard.belief_quarter AS
SELECT period, period_start, department, target_group,
       key::smallint AS job_chance, citizens, share1 AS share_improved,
       share2 AS share_deteriorated, mean AS mean_change, ended,
       share_end AS share_exit_work_or_education
FROM fremdrift.dash_published WHERE view = 'belief' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.belief_year AS
SELECT period, period_start, department, target_group,
       key::smallint AS job_chance, citizens, share1 AS share_improved,
       share2 AS share_deteriorated, mean AS mean_change, ended,
       share_end AS share_exit_work_or_education
FROM fremdrift.dash_published WHERE view = 'belief' AND kind = 'year';

CREATE OR REPLACE VIEW dashboard.exits_quarter AS
SELECT period, period_start, department, target_group, key AS status, citizens
FROM fremdrift.dash_published WHERE view = 'exits' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.exits_year AS
SELECT period, period_start, department, target_group, key AS status, citizens
FROM fremdrift.dash_published WHERE view = 'exits' AND kind = 'year';

CREATE OR REPLACE VIEW dashboard.followups_quarter AS
SELECT period, period_start, department, target_group, key AS status, citizens
FROM fremdrift.dash_published WHERE view = 'followups' AND kind = 'quarter';

CREATE OR REPLACE VIEW dashboard.followups_year AS
SELECT period, period_start, department, target_group, key AS status, citizens
FROM fremdrift.dash_published WHERE view = 'followups' AND kind = 'year';

-- The answer to GET /api/v1/dashboard/<view>: an HTTP status and a JSON
-- body. p_from and p_to are periods of one kind (2025, 2025-Q3; the server
-- has checked their shape); NULL for the first or last released one (all
-- years when both are NULL). An unknown view is 404; an unknown department
-- or target group, periods of two kinds, or from after to is 400 with a
-- message naming it; no release yet is 503.
--
-- The body, compact as the server's own errors are:
--   {"view":...,"kind":"year"|"quarter","from":...,"to":...,"department":...,
--    "target_group":...,"protection":{...},"rows":[...]}
-- from and to echo the request, or where it left one out the first or
-- last period the rows cover (null when they cover none); department and
-- target_group echo the filter or null. Each row has the columns of
-- dashboard.<view>_<kind> in its order but period_start, ordered by
-- period, then department and target group (codes, then 'all'), then the
-- view's category.
CREATE OR REPLACE FUNCTION fremdrift.dash_answer(p_view text, p_from text,
        p_to text, p_department text, p_target_group text,
        OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, fremdrift AS $$
DECLARE
    v_kind text := CASE WHEN coalesce(p_from, p_to) LIKE '%-Q%'
                        THEN 'quarter' ELSE 'year' END;
    f date;
    t date;
    ord text;
    cols text;
    first_p text;
    last_p text;
    v_rows json;
    msg text;
BEGIN
    ord := CASE p_view WHEN 'progression' THEN 'dimension'
                       WHEN 'subgoals' THEN 'subgoal'
                       WHEN 'mix' THEN 'mix' WHEN 'belief' THEN 'job_chance'
                       WHEN 'exits' THEN 'status' WHEN 'followups' THEN 'status'
                       WHEN 'overview' THEN 'period'
                       WHEN 'company' THEN 'period'
                       WHEN 'paid_hours' THEN 'period' END;
    IF ord IS NULL THEN
        status := 404;
        SELECT row_to_json(e) INTO body
        FROM (SELECT 'not_found' AS error, 'no such dashboard view '
                     '(GET /api/v1/dashboard lists them)' AS message) e;
        RETURN;
    END IF;
    IF (p_from LIKE '%-Q%') <> (p_to LIKE '%-Q%') THEN
        msg := 'from and to must be periods of one kind: two years (2025) '
               'or two quarters (2025-Q3)';
    ELSIF p_department IS NOT NULL AND NOT EXISTS
          (SELECT 1 FROM departments WHERE code = p_department) THEN
        msg := format('unknown department "%s" (docs/formats.md lists the '
                      'codes)', p_department);
    ELSIF p_target_group IS NOT NULL AND NOT EXISTS
          (SELECT 1 FROM target_groups WHERE code = p_target_group) THEN
        msg := format('unknown target_group "%s" (docs/formats.md lists the '
                      'codes)', p_target_group);
    END IF;
    IF msg IS NULL THEN
        f := CASE WHEN p_from IS NULL THEN '0001-01-01'::date
                  ELSE make_date(left(p_from, 4)::integer,
                       CASE WHEN v_kind = 'quarter'
                            THEN right(p_from, 1)::integer * 3 - 2 ELSE 1 END,
                       1) END;
        t := CASE WHEN p_to IS NULL THEN '9999-12-31'::date
                  ELSE make_date(left(p_to, 4)::integer,
                       CASE WHEN v_kind = 'quarter'
                            THEN right(p_to, 1)::integer * 3 - 2 ELSE 1 END,
                       1) END;
        IF f > t THEN
            msg := 'from is after to';
        END IF;
    END IF;
    IF msg IS NOT NULL THEN
        status := 400;
        SELECT row_to_json(e) INTO body
        FROM (SELECT 'bad_parameter' AS error, msg AS message) e;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM dash_params) THEN
        status := 503;
        SELECT row_to_json(e) INTO body
        FROM (SELECT 'no_figures' AS error, 'the dashboard has no figures '
                     'yet: run fremdrift measure refresh' AS message) e;
        RETURN;
    END IF;
    -- The view's columns but period_start, in the view's order.
    SELECT string_agg('v.' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
    INTO cols
    FROM pg_attribute a
    WHERE a.attrelid = format('dashboard.%I', p_view || '_' || v_kind)::regclass
      AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname <> 'period_start';
    -- Periods are labelled 2025 or 2025-Q3 (collation "C"), so their text
    -- order is their time order.
    EXECUTE format(
        'SELECT coalesce(json_agg(row_to_json((SELECT r FROM (SELECT %s) r)) '
        'ORDER BY v.period_start, v.department = ''all'', v.department, '
        'v.target_group = ''all'', v.target_group, v.%I), ''[]''), '
        'min(v.period), max(v.period) '
        'FROM dashboard.%I v WHERE v.period_start BETWEEN $1 AND $2 '
        'AND ($3 IS NULL OR v.department = $3) '
        'AND ($4 IS NULL OR v.target_group = $4)',
        cols, ord, p_view || '_' || v_kind)
    INTO v_rows, first_p, last_p USING f, t, p_department, p_target_group;
    status := 200;
    SELECT row_to_json(a) INTO body FROM (
        SELECT p_view AS view, v_kind AS kind,
               coalesce(p_from, first_p) AS "from",
               coalesce(p_to, last_p) AS "to",
               p_department AS department, p_target_group AS target_group,
               (SELECT row_to_json(p) FROM dashboard.protection p)
                   AS protection,
               v_rows AS rows) a;
END $$;

REVOKE EXECUTE ON FUNCTION fremdrift.dash_answer(text, text, text, text, text)
    FROM PUBLIC;
GRANT USAGE ON SCHEMA dashboard TO dashboard;
GRANT SELECT ON ALL TABLES IN SCHEMA dashboard TO dashboard;
