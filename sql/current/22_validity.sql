-- The questionnaires' own evidence (issue 18, docs/validity.md): the
-- analysts' views of what `fremdrift measure validity` computed
-- (sql/0016_validity.sql), and the summary the leadership page reads.
-- Every figure is an aggregate over at least min_n courses; none is a
-- row about a person.

CREATE OR REPLACE VIEW report.validity_run AS
SELECT computed_at, data_until, min_n, good_statuses, family, ci_level
FROM fremdrift.validity_run;

-- Ordered as the command prints it: questionnaire, its dimensions in
-- their order, the consultant's rating event last; start, latest,
-- change; course end before follow-up.
CREATE OR REPLACE VIEW report.validity AS
SELECT v.instrument, v.version, v.predictor, v.score, v.outcome, v.n,
       v.n_good, v.n_train, v.train_cohorts, v.test_cohorts, v.c_statistic,
       v.se, v.ci_low, v.ci_high, r.ci_level, v.calibration_slope,
       v.calibration_intercept, v.brier, v.brier_null, v.slope_train,
       v.strength, v.note
FROM fremdrift.validity v
CROSS JOIN fremdrift.validity_run r
LEFT JOIN fremdrift.instrument_dimensions d
       ON d.instrument = v.instrument AND d.version = v.version
      AND d.dimension = v.predictor
ORDER BY v.version IS NULL, v.instrument, v.version, d.dim_index,
         array_position(ARRAY['start', 'latest', 'change'], v.score),
         v.outcome = 'followup';

CREATE OR REPLACE VIEW report.validity_dif AS
SELECT f.instrument, f.version, f.item, f.dimension, f.grouping, f.groups,
       f.n, f.df, f.chi2_uniform, f.p_uniform, f.r2_uniform,
       f.chi2_nonuniform, f.p_nonuniform, f.r2_nonuniform, f.flagged, f.note
FROM fremdrift.validity_dif f
ORDER BY f.instrument, f.version, f.item,
         array_position(ARRAY['sex', 'age_band', 'department',
                              'target_group'], f.grouping);

-- Replaces the leadership page's summary with the figures for a good exit
-- at course end, from the newest version of each questionnaire that has
-- them: the C-statistic to two decimals and its word, only where it rests
-- on at least min_n courses. Returns how many rows it published.
CREATE OR REPLACE FUNCTION fremdrift.validity_publish() RETURNS integer
LANGUAGE sql AS $$
DELETE FROM fremdrift.validity_summary;
INSERT INTO fremdrift.validity_summary
SELECT DISTINCT ON (v.instrument, v.predictor, v.score)
       v.instrument, v.version, v.predictor, v.score, v.n,
       round(v.c_statistic::numeric, 2), v.strength, v.test_cohorts,
       r.data_until, r.min_n
FROM fremdrift.validity v CROSS JOIN fremdrift.validity_run r
WHERE v.outcome = 'exit' AND v.c_statistic IS NOT NULL
  AND v.strength IS NOT NULL AND v.n >= r.min_n
ORDER BY v.instrument, v.predictor, v.score, v.version DESC NULLS LAST;
SELECT count(*)::integer FROM fremdrift.validity_summary;
$$;

REVOKE EXECUTE ON FUNCTION fremdrift.validity_publish() FROM PUBLIC;
GRANT USAGE ON SCHEMA report TO analyst;
GRANT SELECT ON report.validity, report.validity_dif, report.validity_run
    TO analyst;
