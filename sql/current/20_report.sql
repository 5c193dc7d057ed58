-- The report views for analysts and BI tools (role analyst): progression
-- with reliable change, sub-goal attainment and goal attainment scaling,
-- per course, under the citizen's pseudonym (hex), never a CPR number.
--
-- CREATE OR REPLACE keeps analysts' own views on top of these working; it
-- can add columns at the end but not change or drop one (that needs a
-- DROP VIEW here, and a note to the analysts).

-- Each dimension's reliability: Cronbach's alpha over the complete
-- baseline responses once there are 30 of them (fewer give too unstable
-- an estimate), else the questionnaire's prior alpha.
CREATE OR REPLACE VIEW report.dimension_reliability AS
SELECT d.instrument, d.version, d.dimension,
       CASE WHEN r.n >= 30 AND r.alpha IS NOT NULL THEN r.alpha
            ELSE d.prior_alpha END AS alpha,
       coalesce(r.n, 0) AS n,
       r.sd_baseline
FROM fremdrift.instrument_dimensions d
LEFT JOIN fremdrift.dimension_reliability r USING (instrument, version, dimension);

CREATE OR REPLACE VIEW report.progression AS
SELECT course_key, pseudonym, dimension, baseline, current, change, rci,
       CASE WHEN rci >= 1.96 THEN 'improved'
            WHEN rci <= -1.96 THEN 'deteriorated'
            ELSE 'unchanged' END AS reliable_change,
       n_responses
FROM (
    SELECT p.course AS course_key, encode(p.pseudonym, 'hex') AS pseudonym,
           p.dimension, p.baseline, p.current, p.change,
           fremdrift.rci(p.change, rel.sd_baseline, rel.alpha) AS rci,
           p.n_responses
    FROM fremdrift.progression p
    JOIN report.dimension_reliability rel USING (instrument, version, dimension)
) x;

CREATE OR REPLACE VIEW report.subgoal_attainment AS
SELECT p.course AS course_key, encode(p.pseudonym, 'hex') AS pseudonym,
       g.subgoal, p.current >= g.threshold AS attained
FROM fremdrift.progression p
JOIN fremdrift.instrument_subgoals g USING (instrument, version, dimension);

-- Goal Attainment Scaling: the latest weight and level of each goal.
CREATE OR REPLACE VIEW report.gas AS
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
       fremdrift.gas_t(sum(w.weight * l.level), sum(w.weight ^ 2),
                       sum(w.weight)) AS t_score,
       count(*) AS n_goals
FROM w JOIN l USING (course, goal)
GROUP BY w.course, w.pseudonym;

GRANT USAGE ON SCHEMA report TO analyst;
GRANT SELECT ON report.dimension_reliability, report.progression,
    report.subgoal_attainment, report.gas TO analyst;
