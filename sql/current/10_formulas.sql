-- Small formulas the views and the dashboard share. Each is an IMMUTABLE
-- one-expression SQL function, so the planner inlines it where it is
-- called: the plans are the same as with the expression written out.

-- The month number of a date, counted from January 2000: the dashboard's
-- periods are whole months.
CREATE OR REPLACE FUNCTION fremdrift.month_no(d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (extract(year FROM d)::integer - 2000) * 12
          + extract(month FROM d)::integer - 1 $$;

-- Hides a value unless its cell has at least 5 citizens.
CREATE OR REPLACE FUNCTION fremdrift.supp(n bigint, v anyelement)
RETURNS anyelement LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN n >= 5 THEN v END $$;

-- The Reliable Change Index (Jacobson & Truax): a change divided by the
-- standard error of a difference between two scores,
--   SE_diff = sd_baseline * sqrt(2) * sqrt(1 - reliability).
-- report.progression calls a change reliable at |RCI| >= 1.96. NULL where
-- SE_diff is not positive (reliability 1 or more, or no spread at
-- baseline): no change can be judged there.
CREATE OR REPLACE FUNCTION fremdrift.rci(change double precision,
        sd_baseline double precision, reliability double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN sd_baseline > 0 AND reliability < 1
               THEN change / (sd_baseline * sqrt(2) * sqrt(1 - reliability))
          END $$;

-- The Goal Attainment Scaling T-score (Kiresuk & Sherman) of one course's
-- goals, from the sums over its goals of weight * level, weight^2 and
-- weight (levels -2..2):
--   T = 50 + 10 * sum(w x) / sqrt((1 - rho) sum(w^2) + rho (sum w)^2).
-- rho is the assumed correlation between the goals' scores; 0.3 is the
-- value Kiresuk and Sherman recommend when it has not been estimated, and
-- the one place it is set.
CREATE OR REPLACE FUNCTION fremdrift.gas_t(sum_wx double precision,
        sum_w2 double precision, sum_w double precision,
        rho double precision DEFAULT 0.3)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT 50 + 10 * sum_wx / sqrt((1 - rho) * sum_w2 + rho * sum_w ^ 2) $$;

REVOKE EXECUTE ON FUNCTION fremdrift.month_no(date),
    fremdrift.supp(bigint, anyelement),
    fremdrift.rci(double precision, double precision, double precision),
    fremdrift.gas_t(double precision, double precision, double precision,
                    double precision)
    FROM PUBLIC;
-- The analysts' views call these two as the analyst, who must be allowed
-- to run them (a view checks function privileges as its reader).
GRANT EXECUTE ON FUNCTION
    fremdrift.rci(double precision, double precision, double precision),
    fremdrift.gas_t(double precision, double precision, double precision,
                    double precision)
    TO analyst;
