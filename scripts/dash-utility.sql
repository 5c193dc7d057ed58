-- The dashboard's utility: published figures against the true cells they
-- were made from (owner only; `make bench` runs it at 300,000 courses,
-- docs/dashboard.md quotes it).
\pset footer off
WITH m(view, pop) AS (VALUES ('overview', 'course'), ('company', 'course'),
        ('progression', 'prog'), ('subgoals', 'sub'), ('mix', 'mix'),
        ('paid_hours', 'paid'), ('belief', 'belief'), ('exits', 'exit'),
        ('followups', 'follow')),
p AS (SELECT p.*, c.n, c.c1, c.c2,
             fremdrift.quarter_index(p.period_start) AS q
      FROM fremdrift.dash_published p JOIN m USING (view)
      JOIN fremdrift.dash_cells c ON c.pop = m.pop
       AND c.period = (extract(year FROM p.period_start)::int * 10
           + CASE p.kind WHEN 'year' THEN 0
                  ELSE extract(quarter FROM p.period_start)::int END)
       AND c.department = p.department AND c.target_group = p.target_group
       AND c.key = p.key)
SELECT 'counts of 100 or more' AS figures, count(*) AS cells,
       round(100 * percentile_cont(0.5) WITHIN GROUP (ORDER BY
             abs(citizens - n)::float8 / n)::numeric, 2)
           AS median_rel_error_pct,
       round(100 * percentile_cont(0.95) WITHIN GROUP (ORDER BY
             abs(citizens - n)::float8 / n)::numeric, 2) AS p95_rel_error_pct
FROM p WHERE n >= 100
UNION ALL
SELECT 'counts of 20 to 99', count(*),
       round(100 * percentile_cont(0.5) WITHIN GROUP (ORDER BY
             abs(coalesce(citizens, 0) - n)::float8 / n)::numeric, 2),
       round(100 * percentile_cont(0.95) WITHIN GROUP (ORDER BY
             abs(coalesce(citizens, 0) - n)::float8 / n)::numeric, 2)
FROM p WHERE n BETWEEN 20 AND 99
UNION ALL
SELECT 'department shares (points)', count(*),
       round(100 * percentile_cont(0.5) WITHIN GROUP (ORDER BY
             abs(share1 - c1::numeric / n))::numeric, 2),
       round(100 * percentile_cont(0.95) WITHIN GROUP (ORDER BY
             abs(share1 - c1::numeric / n))::numeric, 2)
FROM p WHERE view IN ('progression', 'subgoals', 'company')
  AND department <> 'all' AND target_group = 'all' AND share1 IS NOT NULL
UNION ALL
SELECT 'department shares, not shown', count(*) FILTER (WHERE share1 IS NULL),
       NULL, NULL
FROM p WHERE view IN ('progression', 'subgoals', 'company')
  AND department <> 'all' AND target_group = 'all';
SELECT count(*) AS published_rows,
       count(*) FILTER (WHERE citizens IS NULL) AS counts_under_min_cell,
       (SELECT count(*) FROM fremdrift.dash_cells
        WHERE n BETWEEN 1 AND 4) AS true_cells_of_1_to_4
FROM fremdrift.dash_published;
