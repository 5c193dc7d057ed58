-- The dashboard as a protected release (issue 13).
--
-- Free periods and filters over exact counts could be subtracted down to
-- one citizen, suppression or not. From here on `measure refresh` computes
-- every published figure once, for fixed periods (quarters and years) and
-- fixed breakdowns (department x target group, department, target group,
-- all), and perturbs each count with the cell key method: every citizen
-- has two secret random keys, a cell's noise is a function of the sum of
-- its citizens' keys, so the same citizens always get the same noise and
-- asking again teaches nothing (docs/dashboard.md). The dashboard reads
-- only the release.

-- The cube that answered free month ranges, and everything built on it.
DROP FUNCTION IF EXISTS
    dashboard.overview(date, date, text, text),
    dashboard.progression(date, date, text, text),
    dashboard.subgoals(date, date, text, text),
    dashboard.company(date, date, text, text),
    dashboard.mix(date, date, text, text),
    dashboard.paid_hours(date, date, text, text),
    dashboard.belief(date, date, text, text),
    dashboard.exits(date, date, text, text),
    dashboard.followups(date, date, text, text),
    fremdrift.dash_distribution(date, date, text, text, text),
    fremdrift.dash_cells(date, date, text, text, text),
    fremdrift.dash_rebuild(),
    fremdrift.dash_swap(),
    fremdrift.dash_build(),
    fremdrift.supp(bigint, anyelement),
    fremdrift.month_no(date);
DROP TABLE fremdrift.dash_cube, fremdrift.dash_extra, fremdrift.dash_months,
           fremdrift.dash_prefix;

-- Each citizen's two record keys, uniform on 0 .. 2^32 - 1, drawn once
-- from a strong random source when the citizen is first counted and kept
-- until erasure (fremdrift erase deletes the row with the citizen's other
-- rows; a cpr-change moves it). k_count perturbs counts, k_sum sums.
-- Never shown anywhere: whoever knew them could undo the noise.
CREATE TABLE fremdrift.citizen_keys (
    pseudonym bytea PRIMARY KEY,
    k_count   bigint NOT NULL CHECK (k_count BETWEEN 0 AND 4294967295),
    k_sum     bigint NOT NULL CHECK (k_sum BETWEEN 0 AND 4294967295)
);

-- The parameters of the release in place (one row), as the last refresh
-- set them from configuration; an erasure recomputes cells with the same.
CREATE TABLE fremdrift.dash_params (
    one          boolean PRIMARY KEY DEFAULT true CHECK (one),
    as_of        date NOT NULL,           -- the refresh's day
    min_cell     integer NOT NULL,        -- published counts under it: NULL
    noise_sd     double precision NOT NULL,
    noise_max    integer NOT NULL,        -- noise is within +-noise_max
    thresholds   double precision[] NOT NULL, -- the noise's quantiles
    scale_change double precision NOT NULL, -- points per unit of sum noise
    scale_hours  double precision NOT NULL, -- hours per unit of sum noise
    refreshed_at timestamptz NOT NULL DEFAULT now()
);

-- The true cells: for each population, key, period and breakdown, the
-- number of citizens and the sums of their record keys (n/kn; c1..c3/k1..k3
-- for subsets, such as those improved; v/kv a bounded value's sum, in
-- thousandths). Owner
-- only: these are exact.
--   period: year * 10 + quarter (20253 = 2025 Q3), or year * 10 (a year)
CREATE TABLE fremdrift.dash_cells (
    pop          text COLLATE "C" NOT NULL,
    period       integer NOT NULL,
    department   text COLLATE "C" NOT NULL,   -- a code or 'all'
    target_group text COLLATE "C" NOT NULL,   -- a code or 'all'
    key          text COLLATE "C" NOT NULL,
    n  integer NOT NULL, kn bigint NOT NULL,
    c1 integer NOT NULL, k1 bigint NOT NULL,
    c2 integer NOT NULL, k2 bigint NOT NULL,
    c3 integer NOT NULL, k3 bigint NOT NULL,
    v  double precision NOT NULL, kv bigint NOT NULL,
    PRIMARY KEY (pop, period, department, target_group, key)
);

-- The published figures: every period, breakdown and category, zeros
-- included, already perturbed and suppressed. The views in schema
-- dashboard are projections of this table.
CREATE TABLE fremdrift.dash_published (
    view         text COLLATE "C" NOT NULL,
    kind         text COLLATE "C" NOT NULL CHECK (kind IN ('quarter', 'year')),
    period_start date NOT NULL,
    period       text COLLATE "C" NOT NULL,   -- 2025-Q3, 2025
    department   text COLLATE "C" NOT NULL,
    target_group text COLLATE "C" NOT NULL,
    key          text COLLATE "C" NOT NULL,
    citizens     integer,
    share1       numeric,
    share2       numeric,
    mean         numeric,
    ended        integer,
    share_end    numeric,
    median       numeric,
    PRIMARY KEY (view, kind, period_start, department, target_group, key)
);

-- current/50_dash_read.sql (the cube's readers) is gone; its successor is
-- current/50_dash_publish.sql.
DELETE FROM fremdrift.schema_definitions WHERE name = '50_dash_read';
