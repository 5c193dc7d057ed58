-- The leadership page (issue 16, server/dash_page.c, docs/dashboard.md
-- "The page"): everything one view of the page shows, in one answer.
-- It reads the same published rows as the dashboard views and
-- dash_answer (fremdrift.dash_published: perturbed and suppressed), so
-- the page shows no figure the API would not give.
--
-- p_period: a published year (2025) or quarter (2025-Q3), or NULL for the
-- latest published quarter; p_department, p_target_group: catalogue codes,
-- or NULL for all ('all'). The server has checked their shape. Answers an
-- HTTP status and a JSON body:
--   200 {"period","kind","previous","department","target_group",
--        "periods":[{"period","kind"}] (newest first, quarters then years),
--        "departments":[{"code","name"}],"target_groups":[...],
--        "labels":{"dimension":{id:name},"subgoal":{...},"status":{...}},
--        "towards_work":[status codes],"protection":{...},
--        "trend":[periods of the kind, oldest first, up to 8, ending at
--                 period],
--        "rows":[{"v":view,"p":period,"k":key,"n","s1","s2","m","e","se",
--                 "md"}]   (the breakdown's rows for the trend periods),
--        "validity":{"data_until","test_cohorts","min_n",
--                    "rows":[{"i":instrument,"p":predictor,"s":score,
--                             "r":respondent,"n","c","w":strength}]}}
--        (issue 18: what foretells a good exit, the whole provider's,
--        whatever the filters: fremdrift.validity_summary; "rows" is []
--        and the rest null before the first `measure validity`)
--   400 {"error":"bad_parameter","message"} an unknown period or code
--   503 {"error":"no_figures",...} before the first refresh
CREATE OR REPLACE FUNCTION fremdrift.dash_page(p_period text,
        p_department text, p_target_group text,
        OUT status integer, OUT body text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, fremdrift AS $$
DECLARE
    v_period text := p_period;
    v_kind text;
    v_start date;
    v_trend text[];
    v_first date;
    msg text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dash_params) THEN
        status := 503;
        SELECT row_to_json(e) INTO body
        FROM (SELECT 'no_figures' AS error, 'the dashboard has no figures '
                     'yet: run fremdrift measure refresh' AS message) e;
        RETURN;
    END IF;
    IF v_period IS NULL THEN
        SELECT period INTO v_period FROM dash_published_periods
        ORDER BY kind = 'quarter' DESC, period_start DESC LIMIT 1;
    END IF;
    SELECT kind, period_start INTO v_kind, v_start
    FROM dash_published_periods WHERE period = v_period;
    IF v_kind IS NULL THEN
        msg := CASE WHEN v_period IS NULL
                    THEN 'no period has been published yet'
                    ELSE format('period %s has not been published (a '
                                'quarter or year is published once it '
                                'has ended)', v_period) END;
    ELSIF p_department IS NOT NULL AND NOT EXISTS
          (SELECT 1 FROM departments WHERE code = p_department) THEN
        msg := format('unknown department "%s"', p_department);
    ELSIF p_target_group IS NOT NULL AND NOT EXISTS
          (SELECT 1 FROM target_groups WHERE code = p_target_group) THEN
        msg := format('unknown target_group "%s"', p_target_group);
    END IF;
    IF msg IS NOT NULL THEN
        status := 400;
        SELECT row_to_json(e) INTO body
        FROM (SELECT 'bad_parameter' AS error, msg AS message) e;
        RETURN;
    END IF;
    SELECT array_agg(period ORDER BY period_start), min(period_start)
    INTO v_trend, v_first
    FROM (SELECT period, period_start FROM dash_published_periods
          WHERE kind = v_kind AND period_start <= v_start
          ORDER BY period_start DESC LIMIT 8) t;
    status := 200;
    SELECT json_build_object(
        'period', v_period, 'kind', v_kind,
        'previous', (SELECT period FROM dash_published_periods
                     WHERE kind = v_kind AND period_start < v_start
                     ORDER BY period_start DESC LIMIT 1),
        'department', p_department, 'target_group', p_target_group,
        'periods', (SELECT json_agg(json_build_object('period', period,
                                                      'kind', kind)
                                    ORDER BY kind = 'quarter' DESC,
                                             period_start DESC)
                    FROM dash_published_periods),
        'departments', (SELECT json_agg(json_build_object('code', code,
                                                          'name', name)
                                        ORDER BY name)
                        FROM departments),
        'target_groups', (SELECT json_agg(json_build_object('code', code,
                                                            'name', name_da)
                                          ORDER BY name_da)
                          FROM target_groups),
        'labels', json_build_object(
            'dimension', (SELECT json_object_agg(d.id, d.name)
                          FROM (SELECT DISTINCT ON (x->>'id')
                                       x->>'id' AS id,
                                       x->'name'->>'da' AS name
                                FROM instruments,
                                     jsonb_array_elements(
                                         definition->'dimensions') x
                                ORDER BY x->>'id', version DESC) d),
            'subgoal', (SELECT json_object_agg(code, name_da) FROM subgoals),
            'status', (SELECT json_object_agg(code, name_da)
                       FROM exit_statuses)),
        'towards_work', (SELECT json_agg(code ORDER BY code)
                         FROM exit_statuses WHERE towards_work),
        'protection', (SELECT row_to_json(p) FROM dashboard.protection p),
        'trend', to_json(v_trend),
        'rows', (SELECT coalesce(json_agg(json_build_object(
                            'v', view, 'p', period, 'k', key,
                            'n', citizens, 's1', share1, 's2', share2,
                            'm', mean, 'e', ended, 'se', share_end,
                            'md', median)
                        ORDER BY view, period_start, key), '[]')
                 FROM dash_published
                 WHERE kind = v_kind
                   AND period_start BETWEEN v_first AND v_start
                   AND department = coalesce(p_department, 'all')
                   AND target_group = coalesce(p_target_group, 'all')),
        'validity', (SELECT json_build_object(
                         'data_until', max(s.data_until),
                         'test_cohorts', max(s.test_cohorts),
                         'min_n', max(s.min_n),
                         'rows', coalesce(json_agg(json_build_object(
                                     'i', s.instrument, 'p', s.predictor,
                                     's', s.score, 'r', i.respondent,
                                     'n', s.n, 'c', s.c_statistic,
                                     'w', s.strength)
                                 ORDER BY s.version IS NULL, s.instrument,
                                          d.dim_index,
                                          array_position(ARRAY['start',
                                              'latest', 'change'], s.score)),
                                 '[]'))
                     FROM validity_summary s
                     LEFT JOIN instruments i ON i.instrument = s.instrument
                          AND i.version = s.version
                     LEFT JOIN instrument_dimensions d
                            ON d.instrument = s.instrument
                           AND d.version = s.version
                           AND d.dimension = s.predictor)
        )::text INTO body;
END $$;

-- A page view of a signed-in leader (server/dash_page.c): checks the
-- session (SHA-256 of its id) and touches it, and only for a good one
-- calls dash_page(). ok is false, and nothing else is read, for a session
-- that is unknown, ended (idle for p_idle_min minutes, or past its end)
-- or whose token is revoked or not a dashboard token.
CREATE OR REPLACE FUNCTION fremdrift.dash_page_session(p_session bytea,
        p_idle_min integer, p_period text, p_department text,
        p_target_group text,
        OUT ok boolean, OUT status integer, OUT body text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, fremdrift AS $$
BEGIN
    UPDATE web_sessions w SET last_seen = now()
    FROM api_tokens t
    WHERE w.id_sha256 = p_session AND t.token_sha256 = w.token_sha256
      AND t.revoked_at IS NULL AND t.role = 'dashboard'
      AND w.expires_at > now()
      AND w.last_seen > now() - make_interval(mins => p_idle_min);
    ok := FOUND;
    IF ok THEN
        SELECT d.status, d.body INTO status, body
        FROM dash_page(p_period, p_department, p_target_group) d;
    END IF;
END $$;

-- The published periods: one row each in the overview of everything
-- (read through the primary key of dash_published).
CREATE OR REPLACE VIEW fremdrift.dash_published_periods AS
SELECT kind, period, period_start FROM fremdrift.dash_published
WHERE view = 'overview' AND department = 'all' AND target_group = 'all'
  AND key = '';

REVOKE EXECUTE ON FUNCTION fremdrift.dash_page(text, text, text),
    fremdrift.dash_page_session(bytea, integer, text, text, text)
    FROM PUBLIC;
