-- Issue 18: does the questionnaire foretell a good exit? What `fremdrift
-- measure validity` (also run by `measure refresh`) computes, in
-- measure/validity_run.c with the statistics of measure/validity.c
-- (docs/validity.md). Every row is an aggregate over at least the
-- configured number of courses (FREMDRIFT_VALIDITY_MIN_N) or holds no
-- figure. The owner's tables; analysts read report.validity,
-- report.validity_dif and report.validity_run
-- (current/22_validity.sql), the leadership page reads only
-- validity_summary.

-- One row per run: what the figures were computed from and how.
CREATE TABLE fremdrift.validity_run (
    computed_at   timestamptz NOT NULL DEFAULT now(),
    data_until    date NOT NULL,    -- courses that ended before this day
    min_n         integer NOT NULL, -- no figure from fewer courses
    good_statuses text[] NOT NULL,  -- the exit statuses counted as good
    family        integer NOT NULL, -- intervals computed: the Bonferroni m
    ci_level      double precision  -- each interval's own level, 1 - 0.05/m
);

-- Per score and outcome: how well it foretold a good exit for the latest
-- course cohorts (test), with a model fitted on the earlier ones (train).
CREATE TABLE fremdrift.validity (
    instrument  text NOT NULL,       -- questionnaire, or job_chance_rated
    version     smallint,            -- NULL for the job_chance_rated event
    predictor   text NOT NULL,       -- the dimension, or job_chance
    score       text NOT NULL CHECK (score IN ('start', 'latest', 'change')),
    outcome     text NOT NULL CHECK (outcome IN ('exit', 'followup')),
    n           integer NOT NULL,    -- test courses with the score and outcome
    n_good      integer NOT NULL,    -- of them with a good outcome
    n_train     integer NOT NULL,    -- training courses
    train_cohorts text,              -- start quarters, '2023-Q1..2025-Q2'
    test_cohorts  text,
    c_statistic double precision,    -- on the test courses
    se          double precision,    -- DeLong's standard error
    ci_low      double precision,    -- simultaneous (Bonferroni) interval
    ci_high     double precision,
    calibration_slope     double precision,
    calibration_intercept double precision,
    brier       double precision,
    brier_null  double precision,    -- predicting the training share for all
    slope_train double precision,    -- log-odds per 10 points (per step of
                                     -- the rating) in the training model
    strength    text CHECK (strength IN ('strong', 'moderate', 'weak',
                                         'none', 'opposite')),
    note        text,                -- why a row has no figure
    UNIQUE NULLS NOT DISTINCT (instrument, version, predictor, score, outcome)
);

-- Differential item functioning: per item and grouping, logistic
-- regression of "answered high" on the dimension's score, the group and
-- their interaction, at the course's first answer.
CREATE TABLE fremdrift.validity_dif (
    instrument  text NOT NULL,
    version     smallint NOT NULL,
    item        text NOT NULL,
    dimension   text NOT NULL,
    grouping    text NOT NULL CHECK (grouping IN ('sex', 'age_band',
                                     'department', 'target_group')),
    groups      integer NOT NULL,    -- groups compared (each of min_n)
    n           integer NOT NULL,    -- respondents in them
    df          integer,
    chi2_uniform     double precision,
    p_uniform        double precision,
    r2_uniform       double precision, -- Nagelkerke's R² change
    chi2_nonuniform  double precision,
    p_nonuniform     double precision,
    r2_nonuniform    double precision,
    flagged     boolean,             -- significant and at least moderate
    note        text,
    PRIMARY KEY (instrument, version, item, grouping)
);

-- What the leadership page shows (fremdrift.dash_page(), "Hvad peger på
-- et godt udfald?"): a few coarse figures over the whole provider, each
-- from at least min_n courses, made by fremdrift.validity_publish(). The
-- only validity table the service role may read.
CREATE TABLE fremdrift.validity_summary (
    instrument   text NOT NULL,
    version      smallint,
    predictor    text NOT NULL,
    score        text NOT NULL,
    n            integer NOT NULL,
    c_statistic  numeric(3, 2) NOT NULL,
    strength     text NOT NULL,
    test_cohorts text NOT NULL,
    data_until   date NOT NULL,
    min_n        integer NOT NULL,
    UNIQUE NULLS NOT DISTINCT (instrument, version, predictor, score)
);
