-- Small formulas the views and the dashboard share. Each is an IMMUTABLE
-- one-expression SQL function, so the planner inlines it where it is
-- called: the plans are the same as with the expression written out.

-- The dashboard's periods (40_dash_build.sql): a quarter's index, counted
-- in quarters from year 0, and the periods a range of quarter indexes
-- covers, as period numbers: year * 10 + quarter for each quarter
-- (20253 = 2025 Q3) and year * 10 for each year (20250 = 2025).
CREATE OR REPLACE FUNCTION fremdrift.quarter_index(d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT extract(year FROM d)::integer * 4
          + (extract(month FROM d)::integer - 1) / 3 $$;

CREATE OR REPLACE FUNCTION fremdrift.dash_periods(q_from integer, q_to integer)
RETURNS SETOF integer LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 6 AS
$$ SELECT (q / 4) * 10 + q % 4 + 1 FROM generate_series(q_from, q_to) q
   UNION ALL
   SELECT y * 10 FROM generate_series(q_from / 4, q_to / 4) y $$;

-- A period number's label (2025-Q3, 2025) and first day.
CREATE OR REPLACE FUNCTION fremdrift.period_label(p integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (p / 10)::text || CASE WHEN p % 10 = 0 THEN '' ELSE '-Q' || (p % 10)::text END $$;

CREATE OR REPLACE FUNCTION fremdrift.period_start(p integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT make_date(p / 10, greatest(p % 10 * 3 - 2, 1), 1) $$;

-- Its last day, and its kind: 'quarter' or 'year'.
CREATE OR REPLACE FUNCTION fremdrift.period_end(p integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (fremdrift.period_start(p)
           + CASE WHEN p % 10 = 0 THEN interval '1 year'
                  ELSE interval '3 months' END)::date - 1 $$;

CREATE OR REPLACE FUNCTION fremdrift.period_kind(p integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN p % 10 = 0 THEN 'year' ELSE 'quarter' END $$;

-- The cell key method's noise. A cell's key is the sum of its citizens'
-- record keys modulo 2^32; as a fraction of 2^32 it is uniform on [0, 1)
-- and picks a noise from the quantiles of a discrete distribution on
-- -m .. m (fremdrift.dash_thresholds). A published count gets two such
-- noises:
--   * one from the cell's key alone: the same citizens, the same noise,
--     in every cell and every release they make up together, so asking
--     again or elsewhere teaches nothing;
--   * one from the cell's key plus g, the fingerprint of every cell of its
--     period and breakdown: when anyone in that row of figures comes or
--     goes (an erasure, a late event), every figure of the row gets a new
--     noise, not only the ones that person is in, so which figures changed
--     says nothing about that person.
-- An empty cell's key is 0: its first noise is -m, so it always publishes
-- 0.
CREATE OR REPLACE FUNCTION fremdrift.dash_noise(k bigint,
        thresholds double precision[])
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT width_bucket(((k % 4294967296 + 4294967296) % 4294967296)::float8
                       / 4294967296, thresholds)
          - (array_length(thresholds, 1) + 1) / 2 $$;

-- A perturbed count, never below 0.
CREATE OR REPLACE FUNCTION fremdrift.dash_count(n bigint, k bigint, g bigint,
        thresholds double precision[])
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT greatest(0, n + fremdrift.dash_noise(k, thresholds)
                     + fremdrift.dash_noise(k + g, thresholds))::integer $$;

-- The same, shown only from min_cell up.
CREATE OR REPLACE FUNCTION fremdrift.dash_shown(n bigint, k bigint, g bigint,
        thresholds double precision[], min_cell integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN c >= min_cell THEN c END
   FROM (SELECT fremdrift.dash_count(n, k, g, thresholds) AS c) x $$;

-- A share a / (a + b) of two perturbed counts (a the citizens with an
-- outcome, b those without, each with its own key), shown only where both
-- are at least min_cell, in whole percent.
CREATE OR REPLACE FUNCTION fremdrift.dash_share(a bigint, ka bigint,
        b bigint, kb bigint, g bigint, thresholds double precision[],
        min_cell integer)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN pa >= min_cell AND pb >= min_cell
               THEN round(pa::numeric / (pa + pb), 2) END
   FROM (SELECT fremdrift.dash_count(a, ka, g, thresholds) AS pa,
                fremdrift.dash_count(b, kb, g, thresholds) AS pb) x $$;

-- A mean of a bounded value: its perturbed sum (the two noises of the
-- sum's own key, times scale) over the perturbed count, where that count
-- is shown.
CREATE OR REPLACE FUNCTION fremdrift.dash_mean(v double precision, kv bigint,
        n bigint, kn bigint, g bigint, scale double precision,
        thresholds double precision[], min_cell integer, digits integer)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN pn >= min_cell
               THEN round(((v + scale * (fremdrift.dash_noise(kv, thresholds)
                            + fremdrift.dash_noise(kv + g, thresholds)))
                           / pn)::numeric, digits) END
   FROM (SELECT fremdrift.dash_count(n, kn, g, thresholds) AS pn) x $$;

-- The quantiles for dash_noise(): a discrete normal distribution with
-- standard deviation sd, cut at +-max: thresholds[i] is the probability of
-- a noise below -max + i - 1.
CREATE OR REPLACE FUNCTION fremdrift.dash_thresholds(sd double precision,
        max integer)
RETURNS double precision[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT array_agg(c ORDER BY d)
   FROM (SELECT d, coalesce(sum(w) OVER (ORDER BY d ROWS BETWEEN UNBOUNDED
                                         PRECEDING AND 1 PRECEDING), 0)
                   / sum(w) OVER () AS c
         FROM (SELECT d, exp(-(d * d) / (2 * sd * sd)) AS w
               FROM generate_series(-max, max) d) x) y $$;

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

REVOKE EXECUTE ON FUNCTION fremdrift.quarter_index(date),
    fremdrift.dash_periods(integer, integer), fremdrift.period_label(integer),
    fremdrift.period_start(integer), fremdrift.period_end(integer),
    fremdrift.period_kind(integer),
    fremdrift.dash_noise(bigint, double precision[]),
    fremdrift.dash_count(bigint, bigint, bigint, double precision[]),
    fremdrift.dash_shown(bigint, bigint, bigint, double precision[], integer),
    fremdrift.dash_share(bigint, bigint, bigint, bigint, bigint,
                         double precision[], integer),
    fremdrift.dash_mean(double precision, bigint, bigint, bigint, bigint,
                        double precision, double precision[], integer, integer),
    fremdrift.dash_thresholds(double precision, integer),
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
