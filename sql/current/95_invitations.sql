-- Links and their rounds (docs/links.md). The tables are 0012's. The token
-- is made and checked in C (anonymize/link_token.c): the key it needs
-- never enters the database, so these functions take the nonce and the
-- token's hash from the caller and hand the nonce back, from which the
-- caller rebuilds the token. The HTTP API (server/links_api.c) and
-- `fremdrift invite` both call exactly these (link_token.h's link_sql_*).
-- Days are counted in Copenhagen.

-- The link of the current round of one course, instrument and respondent
-- kind ('c' or 'k'; instrument '' or NULL: borger or konsulent): the open
-- one if there is one ('open'), else one made from p_nonce and p_hash:
-- 'created' for a round without a link, 'renewed' when its link had
-- expired or was revoked (draft kept: the respondent goes on where they
-- left). An answered round gives its link as it is ('answered'). Or only a
-- status: 'unknown_course', 'course_ended', 'unknown_instrument'.
-- p_source, when given, is the asking token's source: only a course that
-- source started is known to it (another source's course is
-- 'unknown_course'), so an ingest token reaches no other source's
-- citizens through a link. NULL (the operator's `fremdrift invite`): any.
DROP FUNCTION IF EXISTS fremdrift.invitation_get(text, text, "char", bytea,
                                                 bytea);
CREATE OR REPLACE FUNCTION fremdrift.invitation_get(
    p_course text, p_instrument text, p_respondent "char", p_nonce bytea,
    p_hash bytea, p_source text DEFAULT NULL)
RETURNS TABLE (status text, id bigint, course text, instrument text,
               respondent "char", round integer, nonce text,
               expires_at text)
LANGUAGE plpgsql SET TimeZone = 'Europe/Copenhagen' AS $$
#variable_conflict use_column
DECLARE
    v_instr   text := coalesce(nullif(p_instrument, ''),
                               CASE p_respondent WHEN 'c' THEN 'borger'
                                                 ELSE 'konsulent' END);
    v_cad     fremdrift.cadence;
    v_version smallint;
    v_start   fremdrift.events;
    v_round   integer;
    v_inv     fremdrift.invitations;
    v_status  text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM fremdrift.ids_pseudonymised) THEN
        RAISE EXCEPTION 'course keys are not pseudonyms yet: run '
                        '`fremdrift migrate-ids` first';
    END IF;
    SELECT * INTO v_cad FROM fremdrift.cadence c
    WHERE c.instrument = v_instr AND c.respondent = p_respondent;
    SELECT max(i.version) INTO v_version FROM fremdrift.instruments i
    WHERE i.instrument = v_instr;
    IF v_cad.instrument IS NULL OR v_version IS NULL THEN
        RETURN QUERY SELECT 'unknown_instrument', NULL::bigint, NULL::text,
            NULL::text, NULL::"char", NULL::integer, NULL::text, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO v_start FROM fremdrift.events e
    WHERE e.course = p_course AND e.type = 'course_started'
      AND (p_source IS NULL OR e.source = p_source)
    ORDER BY e.at LIMIT 1;
    IF v_start.course IS NULL OR EXISTS (
            SELECT 1 FROM fremdrift.events e
            WHERE e.course = p_course AND e.type = 'course_ended') THEN
        RETURN QUERY SELECT CASE WHEN v_start.course IS NULL
                                 THEN 'unknown_course'
                                 ELSE 'course_ended' END,
            NULL::bigint, NULL::text, NULL::text, NULL::"char",
            NULL::integer, NULL::text, NULL::text;
        RETURN;
    END IF;
    v_round := greatest(current_date - v_start.at::date, 0)
               / v_cad.every_days + 1;
    -- Twice at most: a concurrent call may insert the row between our
    -- look and our insert; the second look then finds it.
    FOR attempt IN 1 .. 2 LOOP
        SELECT * INTO v_inv FROM fremdrift.invitations i
        WHERE (i.course, i.instrument, i.respondent, i.round)
            = (p_course, v_instr, p_respondent, v_round)
        FOR UPDATE;
        IF v_inv.id IS NULL THEN
            INSERT INTO fremdrift.invitations AS i (token_hash, nonce,
                course, pseudonym, key_no, birth_year, sex, instrument,
                version, respondent, round, expires_at)
            VALUES (p_hash, p_nonce, p_course, v_start.pseudonym,
                v_start.key_no, v_start.birth_year, v_start.sex, v_instr,
                v_version, p_respondent, v_round,
                now() + make_interval(days => v_cad.valid_days))
            ON CONFLICT ON CONSTRAINT
                invitations_course_instrument_respondent_round_key
                DO NOTHING
            RETURNING * INTO v_inv;
            v_status := 'created';
        ELSIF v_inv.answered_at IS NOT NULL THEN
            v_status := 'answered';
        ELSIF v_inv.revoked_at IS NULL AND v_inv.expires_at > now() THEN
            v_status := 'open';
        ELSE
            UPDATE fremdrift.invitations i
            SET token_hash = p_hash, nonce = p_nonce, created_at = now(),
                expires_at = now() + make_interval(days => v_cad.valid_days),
                renewed_at = CASE WHEN i.revoked_at IS NULL THEN now()
                                  ELSE i.renewed_at END,
                revoked_at = NULL
            WHERE i.id = v_inv.id
            RETURNING * INTO v_inv;
            v_status := 'renewed';
        END IF;
        EXIT WHEN v_inv.id IS NOT NULL;
    END LOOP;
    RETURN QUERY SELECT v_status, v_inv.id, v_inv.course, v_inv.instrument,
        v_inv.respondent, v_inv.round::integer, encode(v_inv.nonce, 'hex'),
        to_char(v_inv.expires_at AT TIME ZONE 'UTC',
                'YYYY-MM-DD"T"HH24:MI:SS"Z"');
END;
$$;

-- The rounds to send: for every running course (course_started, no
-- course_ended) and each instrument of fremdrift.cadence, its current
-- round unless that round is answered. state: 'overdue' once a link of
-- the round has expired unanswered (it gets a fresh one), else 'remind'
-- from remind_after_days after the round opened, else 'due'. nonce and
-- expires_at are the open link's, NULL when the round needs a new link
-- (the caller makes them with fremdrift.invitation_get). p_source, when
-- given, keeps the courses that source started (as invitation_get).
DROP FUNCTION IF EXISTS fremdrift.invitations_due();
CREATE OR REPLACE FUNCTION fremdrift.invitations_due(
    p_source text DEFAULT NULL)
RETURNS TABLE (course text, instrument text, respondent "char",
               round integer, opens_on date, state text, nonce text,
               expires_at text)
LANGUAGE sql STABLE SET TimeZone = 'Europe/Copenhagen' AS $$
    WITH running AS (
        SELECT s.course, min(s.at)::date AS started
        FROM fremdrift.events s
        WHERE s.type = 'course_started'
          AND (p_source IS NULL OR s.source = p_source)
          AND EXISTS (SELECT 1 FROM fremdrift.ids_pseudonymised)
          AND NOT EXISTS (SELECT 1 FROM fremdrift.events e
                          WHERE e.course = s.course
                            AND e.type = 'course_ended')
        GROUP BY s.course
    ), rounds AS (
        SELECT r.course, c.instrument, c.respondent, c.remind_after_days,
               greatest(current_date - r.started, 0) / c.every_days
                   AS n, c.every_days, r.started
        FROM running r
        CROSS JOIN fremdrift.cadence c
        WHERE r.started <= current_date  -- a course yet to start waits
          AND EXISTS (SELECT 1 FROM fremdrift.instruments i
                      WHERE i.instrument = c.instrument)
    ), cur AS (
        SELECT x.course, x.instrument, x.respondent, x.n + 1 AS round,
               x.started + x.every_days * x.n AS opens_on,
               x.remind_after_days
        FROM rounds x
    )
    SELECT x.course, x.instrument, x.respondent, x.round, x.opens_on,
           CASE WHEN i.renewed_at IS NOT NULL
                  OR (i.revoked_at IS NULL AND i.expires_at <= now())
                THEN 'overdue'
                WHEN current_date - x.opens_on >= x.remind_after_days
                THEN 'remind'
                ELSE 'due' END,
           CASE WHEN i.revoked_at IS NULL AND i.expires_at > now()
                THEN encode(i.nonce, 'hex') END,
           CASE WHEN i.revoked_at IS NULL AND i.expires_at > now()
                THEN to_char(i.expires_at AT TIME ZONE 'UTC',
                             'YYYY-MM-DD"T"HH24:MI:SS"Z"') END
    FROM cur x
    LEFT JOIN fremdrift.invitations i
        ON (i.course, i.instrument, i.respondent, i.round)
         = (x.course, x.instrument, x.respondent, x.round)
    WHERE i.answered_at IS NULL
    ORDER BY x.opens_on, x.course, x.respondent, x.instrument;
$$;

-- A draft with patch merged in: answers item by item, job_chance whole,
-- goals goal by goal and within a goal field by field. A null takes an
-- answer, the job chance, a goal or a goal's field back.
CREATE OR REPLACE FUNCTION fremdrift.draft_merge(d jsonb, p jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'answers', coalesce(d -> 'answers', '{}')
                   || coalesce(p -> 'answers', '{}'),
        'job_chance', CASE WHEN p ? 'job_chance' THEN p -> 'job_chance'
                           ELSE d -> 'job_chance' END,
        'goals', (SELECT coalesce(jsonb_object_agg(k, v), '{}')
                  FROM (SELECT k,
                               CASE WHEN NOT coalesce(p -> 'goals', '{}') ? k
                                    THEN d -> 'goals' -> k
                                    WHEN jsonb_typeof(p -> 'goals' -> k)
                                         = 'null' THEN NULL
                                    ELSE coalesce(d -> 'goals' -> k, '{}')
                                         || (p -> 'goals' -> k) END AS v
                        FROM (SELECT jsonb_object_keys(
                                         coalesce(d -> 'goals', '{}'))
                              UNION
                              SELECT jsonb_object_keys(
                                         coalesce(p -> 'goals', '{}')))
                             AS ks(k)) g
                  WHERE v IS NOT NULL)));
$$;

-- Saves patch into an open link's draft; the new draft, or NULL when the
-- link is no longer open (answered, revoked, expired) or is being sent.
CREATE OR REPLACE FUNCTION fremdrift.invitation_save(p_id bigint,
                                                     p_patch jsonb)
RETURNS jsonb LANGUAGE sql AS $$
    UPDATE fremdrift.invitations
    SET draft = fremdrift.draft_merge(draft, p_patch)
    WHERE id = p_id AND answered_at IS NULL AND revoked_at IS NULL
      AND expires_at > now()
      AND (sending_until IS NULL OR sending_until < now())
    RETURNING draft;
$$;

REVOKE EXECUTE ON FUNCTION
    fremdrift.invitation_get(text, text, "char", bytea, bytea, text),
    fremdrift.invitations_due(text),
    fremdrift.draft_merge(jsonb, jsonb),
    fremdrift.invitation_save(bigint, jsonb)
FROM PUBLIC;
