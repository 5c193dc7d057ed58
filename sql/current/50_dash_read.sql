-- How the dashboard reads the aggregates that 40_dash_build.sql builds.
-- Periods are whole months: `from` counts from the first of its month and
-- `to` to the last of its month. Besides speed this blunts differencing
-- (two periods a day apart revealing one citizen's course).

-- The cells of one population for a period (whole months) and optional
-- department and target group: per key at four levels (by department and
-- target group, by department, by target group, overall; 'all' where a
-- level does not split), with exact distinct citizens, the number of rows
-- and the sums of the measures.
--
-- PL/pgSQL that plans its query for each call's own values. As an SQL
-- function inlined into the dashboard functions, its period was a
-- parameter at planning time: the planner guessed a few hundred rows of
-- dash_extra where a one-month period at 300,000 courses reads some 76,000,
-- and chose sorts and nested loops sized for the guess (a one-month
-- `subgoals` took about 105 ms). Planned with the values as constants, and
-- with sorts ruled out (every step here groups or joins on a few hundred
-- cells, which hashing does in one pass), the same call takes about 35 ms.
-- Planning costs about 5 ms of that.
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

-- Primary and secondary suppression of a distribution: a cell under 5 is
-- hidden, and where exactly one cell of a department is hidden, so is the
-- next smallest, so the first cannot be worked out from a total.
CREATE OR REPLACE FUNCTION fremdrift.dash_distribution(p_from date, p_to date,
        p_department text, p_target_group text, p_pop text)
RETURNS TABLE (department text, status text, citizens bigint, suppressed boolean)
LANGUAGE sql STABLE AS $$
    WITH c AS (
        SELECT x.department, x.key, x.citizens AS n
        FROM fremdrift.dash_cells(p_from, p_to, p_department, p_target_group, p_pop) x
        WHERE x.department <> 'all' AND x.target_group = 'all'
    ), r AS (
        SELECT *, count(*) FILTER (WHERE n < 5) OVER (PARTITION BY department) AS nsupp,
               row_number() OVER (PARTITION BY department ORDER BY (n < 5), n, key) AS smallest
        FROM c
    )
    SELECT department, key,
           CASE WHEN n < 5 OR (nsupp = 1 AND smallest = 1) THEN NULL ELSE n END,
           n < 5 OR (nsupp = 1 AND smallest = 1)
    FROM r ORDER BY 1, 2
$$;

REVOKE EXECUTE ON FUNCTION
    fremdrift.dash_cells(date, date, text, text, text),
    fremdrift.dash_distribution(date, date, text, text, text)
    FROM PUBLIC;
