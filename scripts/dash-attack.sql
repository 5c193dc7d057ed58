-- The dashboard attacked at scale (`make bench`, docs/dashboard.md): a
-- leader's derivations from the published figures, against the true cells
-- (which only the owner can read). For each kind of derivation: how many,
-- how many of them target a true count of 1 to 4, how often the derived
-- value is exactly right there, what guessing the commonest true value
-- would score, and the spread of the derivation's error.
\pset footer off
WITH pub AS (
    -- published counts with the truth behind them
    SELECT p.view, p.kind, p.period_start, p.department, p.target_group,
           p.key, p.citizens, p.share1, c.n, c.c1
    FROM fremdrift.dash_published p
    JOIN (VALUES ('overview', 'course'), ('progression', 'prog'),
                 ('subgoals', 'sub'), ('mix', 'mix'), ('belief', 'belief'),
                 ('exits', 'exit'), ('followups', 'follow'),
                 ('paid_hours', 'paid')) m(view, pop) USING (view)
    LEFT JOIN fremdrift.dash_cells c ON c.pop = m.pop
     AND c.period = extract(year FROM p.period_start)::int * 10
         + CASE p.kind WHEN 'year' THEN 0
                ELSE extract(quarter FROM p.period_start)::int END
     AND c.department = p.department AND c.target_group = p.target_group
     AND c.key = p.key
), ax AS (
    -- the published counts along each axis of a margin: a department with
    -- the target group fixed, a target group with the department fixed
    SELECT 'department = all - other departments' AS attack, view, kind,
           period_start, key, target_group AS fixed, department AS part,
           citizens, n
    FROM pub
    UNION ALL
    SELECT 'target group = department - other groups', view, kind,
           period_start, key, department, target_group, citizens, n
    FROM pub
), d AS (
    -- a part as the total ('all') minus the other parts
    SELECT a.attack, a.citizens - sum(o.citizens) AS derived,
           coalesce(t.n, 0) AS truth
    FROM ax a
    JOIN ax t ON t.attack = a.attack AND t.view = a.view AND t.kind = a.kind
     AND t.period_start = a.period_start AND t.fixed = a.fixed
     AND t.key = a.key AND t.part <> 'all'
    JOIN ax o ON o.attack = a.attack AND o.view = a.view AND o.kind = a.kind
     AND o.period_start = a.period_start AND o.fixed = a.fixed
     AND o.key = a.key AND o.part NOT IN ('all', t.part)
    WHERE a.part = 'all' AND a.citizens IS NOT NULL
    GROUP BY a.attack, a.view, a.kind, a.period_start, a.fixed, a.key,
             t.part, a.citizens, t.n
    HAVING bool_and(o.citizens IS NOT NULL)
    UNION ALL
    -- an exit quarter as its year minus the other three quarters
    SELECT 'exit quarter = year - other quarters',
           y.citizens - sum(o.citizens), coalesce(t.n, 0)
    FROM pub y
    JOIN pub t ON t.view = 'exits' AND t.kind = 'quarter'
     AND date_trunc('year', t.period_start) = y.period_start
     AND t.department = y.department AND t.target_group = y.target_group
     AND t.key = y.key
    JOIN pub o ON o.view = 'exits' AND o.kind = 'quarter'
     AND date_trunc('year', o.period_start) = y.period_start
     AND o.period_start <> t.period_start AND o.department = y.department
     AND o.target_group = y.target_group AND o.key = y.key
    WHERE y.view = 'exits' AND y.kind = 'year' AND y.citizens IS NOT NULL
    GROUP BY y.period_start, y.department, y.target_group, y.key,
             t.period_start, y.citizens, t.n
    HAVING bool_and(o.citizens IS NOT NULL) AND count(*) = 3
    UNION ALL
    -- the citizens with an outcome as share x citizens
    SELECT 'outcome = share x citizens', round(share1 * citizens),
           coalesce(c1, 0)
    FROM pub WHERE share1 IS NOT NULL
      AND view IN ('progression', 'subgoals')
), s AS (
    SELECT attack, derived, truth,
           count(*) OVER (PARTITION BY attack, truth) AS same_truth
    FROM d
)
SELECT attack, count(*) AS derivations,
       round(stddev(derived - truth), 1) AS error_sd,
       count(*) FILTER (WHERE truth BETWEEN 1 AND 4) AS small,
       round(avg((derived = truth)::int) FILTER (WHERE truth BETWEEN 1 AND 4),
             3) AS right_when_small,
       round(max(same_truth) FILTER (WHERE truth BETWEEN 1 AND 4)::numeric
             / nullif(count(*) FILTER (WHERE truth BETWEEN 1 AND 4), 0), 3)
           AS guessing_scores
FROM s GROUP BY attack ORDER BY attack;
