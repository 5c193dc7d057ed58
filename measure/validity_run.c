/*
 * `fremdrift measure validity` (also a step of `measure refresh`): does
 * the score at the start, the latest score or the change of each
 * questionnaire dimension, and the consultant's first job-chance rating,
 * foretell a good exit at course end and at follow-up (docs/validity.md)?
 *
 * Out of time: the courses that ended before the current quarter are
 * split by the quarter they started in; the latest start quarters that
 * hold at least TEST_SHARE of them are the test cohorts, the earlier
 * ones the training cohorts. A logistic model of the outcome on the
 * score is fitted to the training cohorts alone; the test cohorts give
 * its C-statistic (DeLong), calibration and Brier score. No figure rests
 * on fewer than FREMDRIFT_VALIDITY_MIN_N courses in either set, or fewer
 * than MIN_CLASS with (or without) a good outcome. The intervals are
 * simultaneous over every C-statistic of the run (Bonferroni), with
 * Student's t on min(n1, n0) - 1 degrees of freedom (validity.h).
 *
 * The data come in one COPY of progression joined to the course
 * outcomes (a temporary table of this transaction); the statistics are
 * measure/validity.c's; the figures go to fremdrift.validity and the
 * summary to fremdrift.validity_summary (sql/current/22_validity.sql).
 */
#include "fremdrift/refresh.h"
#include "fremdrift/validity.h"

#include "fremdrift/buf.h"
#include "fremdrift/err.h"

#include "measure_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WHO "validity"
/* The test cohorts hold at least this share of the courses. */
#define TEST_SHARE 0.3
/* Fewest courses with, and without, a good outcome in each set: the
 * rule of ten events per variable, doubled, and what keeps the t
 * quantile of validity.c accurate (df >= 19). */
#define MIN_CLASS 20
#define MAX_SERIES (CATALOG_MAX_INSTRUMENTS * INSTR_MAX_DIMS + 1)

enum { SC_START, SC_LATEST, SC_CHANGE, SC_N };
enum { OUT_EXIT, OUT_FOLLOWUP, OUT_N };
static const char *const score_name[SC_N] = {"start", "latest", "change"};
static const char *const outcome_name[OUT_N] = {"exit", "followup"};

/* One course's values of one predictor. */
struct obs {
	float x[SC_N];
	unsigned char has;      /* bit s: x[s] is there */
	signed char out[OUT_N]; /* 1 good, 0 not, -1 unknown */
	int q;                  /* start quarter (year * 4 + quarter - 1) */
};

/* A predictor: a questionnaire dimension, or the rating event. */
struct series {
	char instrument[INSTR_ID_MAX], predictor[INSTR_ID_MAX];
	int version; /* 0: the rating event, which has none */
	struct obs *o;
	long n, cap;
};

/* One row of fremdrift.validity. */
struct figure {
	const struct series *s;
	int score, outcome;
	long n, n_good, n_train;
	struct vd_auc auc;
	double slope_train, lo, hi;
	struct vd_calib cal;
	double brier_null;
	int has_auc, has_cal;
	const char *note;
};

/* Where the sets split, per outcome. */
struct split {
	int cut;            /* first test quarter; train is below it */
	int first, last;    /* quarters with courses */
};

struct run {
	PGconn *c;
	const struct fr_config *cfg;
	struct series s[MAX_SERIES];
	int ns;
	struct split split[OUT_N];
	struct figure *fig;
	int nfig, family;
	char data_until[16];
};

const char *measure__num(double x, char out[32])
{
	if (isnan(x))
		return NULL;
	snprintf(out, 32, "%.17g", x);
	return out;
}

int measure__copy_each(PGconn *conn, const char *who, const char *sql,
		       void (*each)(void *arg, const struct db_copy_row *row),
		       void *arg)
{
	struct db_copy_row row = {0};
	int rc;

	if (db_copy_out_begin(conn, who, sql) != 0)
		return -1;
	while ((rc = db_copy_out_next(conn, who, &row)) > 0)
		each(arg, &row);
	db_copy_row_free(&row);
	return rc;
}

int measure__lock(PGconn *conn, const char *who)
{
	PGresult *res = db_query(conn, who,
				 "SELECT pg_try_advisory_xact_lock(" MEASURE_LOCK
				 ")",
				 0, NULL);
	int locked;

	if (res == NULL)
		return -1;
	locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!locked)
		fprintf(stderr, "fremdrift %s: another refresh is running (or "
				"measure validity, erase, cpr-change, key "
				"rotate or migrate-ids); this one changed "
				"nothing\n",
			who);
	return locked ? 0 : -1;
}

double measure__seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ------------------------------------------------------------------ */
/* Reading */

/*
 * The courses whose outcome is known by the start of this quarter, with
 * their start quarter and whether each outcome is good (NULL: not known;
 * an unknown status tells nothing either way), as a temporary table.
 * Checks the configured good statuses against the catalogue first.
 */
static int outcomes(struct run *r)
{
	const char *p[1] = {r->cfg->validity_good};
	PGresult *res = db_query(
		r->c, WHO,
		"SELECT (SELECT string_agg(x, ', ') FROM unnest(string_to_array("
		"$1, ',')) x WHERE x NOT IN (SELECT code FROM "
		"fremdrift.exit_statuses)), date_trunc('quarter', now() AT TIME "
		"ZONE 'Europe/Copenhagen')::date",
		1, p);

	if (res == NULL)
		return -1;
	if (!PQgetisnull(res, 0, 0)) {
		fprintf(stderr, "fremdrift " WHO ": FREMDRIFT_VALIDITY_GOOD: "
				"unknown exit status %s (see fremdrift."
				"exit_statuses)\n",
			PQgetvalue(res, 0, 0));
		PQclear(res);
		return -1;
	}
	snprintf(r->data_until, sizeof(r->data_until), "%s",
		 PQgetvalue(res, 0, 1));
	PQclear(res);
	if (db_exec(r->c, WHO,
		    "CREATE TEMP TABLE validity_courses (course text PRIMARY "
		    "KEY, q integer, exit_good boolean, follow_good boolean, "
		    "job_chance smallint) ON COMMIT DROP") != 0)
		return -1;
	res = db_query(
		r->c, WHO,
		"WITH good AS (SELECT code FROM fremdrift.exit_statuses WHERE "
		"CASE WHEN $1::text IS NULL THEN towards_work ELSE code = "
		"ANY (string_to_array($1, ',')) END) "
		"INSERT INTO validity_courses SELECT course, "
		"fremdrift.quarter_index(started), CASE WHEN exit_status <> "
		"'unknown' THEN exit_status IN (SELECT code FROM good) END, "
		"CASE WHEN followup_status <> 'unknown' THEN followup_status IN "
		"(SELECT code FROM good) END, job_chance FROM fremdrift.courses "
		"WHERE ended < date_trunc('quarter', now() AT TIME ZONE "
		"'Europe/Copenhagen')::date",
		1, p);
	PQclear(res);
	return res ? db_exec(r->c, WHO, "ANALYZE validity_courses") : -1;
}

/* The quarter from which on the latest cohorts hold TEST_SHARE of the
 * courses with each outcome. */
static int splits(struct run *r)
{
	PGresult *res = db_query(r->c, WHO,
				 "SELECT q, count(exit_good), count(follow_good) "
				 "FROM validity_courses GROUP BY q ORDER BY q",
				 0, NULL);
	int rows;

	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	for (int o = 0; o < OUT_N; o++) {
		long total = 0, acc = 0;
		struct split *sp = &r->split[o];

		sp->first = sp->last = sp->cut = 0;
		for (int i = 0; i < rows; i++)
			total += atol(PQgetvalue(res, i, 1 + o));
		for (int i = rows - 1; i >= 0 && total > 0; i--) {
			long k = atol(PQgetvalue(res, i, 1 + o));

			if (k == 0)
				continue;
			if (sp->last == 0)
				sp->last = atoi(PQgetvalue(res, i, 0));
			sp->first = atoi(PQgetvalue(res, i, 0));
			if (acc < TEST_SHARE * (double)total)
				sp->cut = sp->first;
			acc += k;
		}
	}
	PQclear(res);
	return 0;
}

/* The series of (instrument, version, predictor), made on first sight. */
static struct series *series_of(struct run *r, const char *ins, int version,
				const char *pred)
{
	for (int i = 0; i < r->ns; i++)
		if (r->s[i].version == version &&
		    strcmp(r->s[i].instrument, ins) == 0 &&
		    strcmp(r->s[i].predictor, pred) == 0)
			return &r->s[i];
	if (r->ns == MAX_SERIES)
		return NULL;
	snprintf(r->s[r->ns].instrument, INSTR_ID_MAX, "%s", ins);
	snprintf(r->s[r->ns].predictor, INSTR_ID_MAX, "%s", pred);
	r->s[r->ns].version = version;
	return &r->s[r->ns++];
}

static signed char tri(const char *v)
{
	return v == NULL ? -1 : v[0] == 't';
}

/* One row: instrument, version, predictor, quarter, exit good, follow-up
 * good, start, latest, change (NULL: none). */
static void one_row(void *arg, const struct db_copy_row *row)
{
	struct run *r = arg;
	char *const *f = row->fields;
	struct series *s;
	struct obs *o;

	if (row->nfields < 9 || !f[0] || !f[2] || !f[3])
		return;
	s = series_of(r, f[0], f[1] ? atoi(f[1]) : 0, f[2]);
	if (s == NULL)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4096;
		s->o = fr_xrealloc(s->o, sizeof(*s->o) * (size_t)s->cap);
	}
	o = &s->o[s->n++];
	o->q = atoi(f[3]);
	o->out[OUT_EXIT] = tri(f[4]);
	o->out[OUT_FOLLOWUP] = tri(f[5]);
	o->has = 0;
	for (int k = 0; k < SC_N; k++) {
		o->x[k] = f[6 + k] ? strtof(f[6 + k], NULL) : 0;
		o->has |= (unsigned char)((f[6 + k] != NULL) << k);
	}
}

/* Every predictor's values for the courses with an outcome: the
 * questionnaire dimensions from progression (a change needs two
 * answers), the rating event's first level from the course facts. */
static int read_series(struct run *r)
{
	return measure__copy_each(
		r->c, WHO,
		"COPY (SELECT p.instrument, p.version, p.dimension, v.q, "
		"v.exit_good, v.follow_good, p.baseline, p.current, CASE "
		"WHEN p.n_responses > 1 THEN p.change END FROM "
		"fremdrift.progression p JOIN validity_courses v USING "
		"(course) UNION ALL SELECT 'job_chance_rated', NULL, "
		"'job_chance', q, exit_good, follow_good, job_chance, NULL, "
		"NULL FROM validity_courses WHERE job_chance IS NOT NULL) "
		"TO STDOUT",
		one_row, r);
}

/* ------------------------------------------------------------------ */
/* Computing */

/* One set's values of a figure: x, y and how many are good. */
struct set {
	double *x;
	unsigned char *y;
	long n, good;
};

static void set_add(struct set *t, double x, int y)
{
	t->x[t->n] = x;
	t->y[t->n++] = (unsigned char)y;
	t->good += y;
}

/* Splits series s's courses with score k and outcome o into train and
 * test; a questionnaire score is counted in tens of points, so the
 * model's slope is per 10 points. */
static void fill_sets(const struct run *r, const struct series *s, int k,
		      int o, struct set *train, struct set *test)
{
	double scale = s->version ? 10 : 1;

	for (long i = 0; i < s->n; i++) {
		const struct obs *ob = &s->o[i];

		if (!(ob->has & (1u << k)) || ob->out[o] < 0)
			continue;
		set_add(ob->q < r->split[o].cut ? train : test,
			ob->x[k] / scale, ob->out[o]);
	}
}

static int varies(const struct set *t)
{
	for (long i = 1; i < t->n; i++)
		if (t->x[i] != t->x[0])
			return 1;
	return 0;
}

/* Why a figure cannot be computed from these sets, or NULL. */
static const char *too_little(const struct run *r, const struct set *train,
			      const struct set *test)
{
	long min = r->cfg->validity_min_n;

	if (train->n < min || test->n < min)
		return "fewer courses than FREMDRIFT_VALIDITY_MIN_N in the "
		       "training or the test cohorts";
	if (train->good < MIN_CLASS || train->n - train->good < MIN_CLASS ||
	    test->good < MIN_CLASS || test->n - test->good < MIN_CLASS)
		return "fewer than 20 courses with, or without, a good outcome "
		       "in the training or the test cohorts";
	if (!varies(train) || !varies(test))
		return "the score does not vary";
	return NULL;
}

/* The model from the training set, judged on the test set. */
static void judge(struct figure *f, const struct set *train,
		  const struct set *test)
{
	double *xx = fr_xmalloc(sizeof(double) * 2 * (size_t)train->n);
	double *yy = fr_xmalloc(sizeof(double) * (size_t)train->n);
	double *p = fr_xmalloc(sizeof(double) * (size_t)test->n);
	double share = (double)train->good / (double)train->n, nb = 0;
	struct vd_fit fit;

	for (long i = 0; i < train->n; i++) {
		xx[2 * i] = 1;
		xx[2 * i + 1] = train->x[i];
		yy[i] = train->y[i];
	}
	if (vd_logit(&(struct vd_glm){train->n, 2, xx, yy, NULL, NULL},
		     &fit) != 0)
		f->note = "the model could not be fitted to the training "
			  "cohorts";
	else {
		f->slope_train = fit.beta[1];
		for (long i = 0; i < test->n; i++) {
			p[i] = 1 / (1 + exp(-(fit.beta[0] +
					      fit.beta[1] * test->x[i])));
			nb += (test->y[i] - share) * (test->y[i] - share);
			/* ranks by the model: the score, turned round when
			 * the training cohorts found it pointing down */
			test->x[i] *= fit.beta[1] < 0 ? -1 : 1;
		}
		f->brier_null = nb / (double)test->n;
		f->has_auc = vd_auc(test->x, test->y, test->n, &f->auc) == 0;
		f->has_cal = vd_calibrate(p, test->y, test->n, &f->cal) == 0;
	}
	free(xx);
	free(yy);
	free(p);
}

static void compute(const struct run *r, struct figure *f)
{
	const struct series *s = f->s;
	struct set train = {0}, test = {0};

	train.x = fr_xmalloc(sizeof(double) * (size_t)(s->n + 1));
	train.y = fr_xmalloc((size_t)s->n + 1);
	test.x = fr_xmalloc(sizeof(double) * (size_t)(s->n + 1));
	test.y = fr_xmalloc((size_t)s->n + 1);
	fill_sets(r, s, f->score, f->outcome, &train, &test);
	f->n = test.n;
	f->n_good = test.good;
	f->n_train = train.n;
	f->slope_train = f->brier_null = NAN;
	if ((f->note = too_little(r, &train, &test)) == NULL)
		judge(f, &train, &test);
	free(train.x);
	free(train.y);
	free(test.x);
	free(test.y);
}

/* Every figure, then the simultaneous intervals over those that have a
 * C-statistic. */
static void figures(struct run *r)
{
	double alpha;

	r->fig = fr_xcalloc((size_t)r->ns * SC_N * OUT_N, sizeof(*r->fig));
	for (int i = 0; i < r->ns; i++)
		for (int k = 0; k < SC_N; k++)
			for (int o = 0; o < OUT_N; o++) {
				struct figure *f = &r->fig[r->nfig];

				/* the rating event has a start only */
				if (r->s[i].version == 0 && k != SC_START)
					continue;
				*f = (struct figure){.s = &r->s[i], .score = k,
						     .outcome = o};
				compute(r, f);
				r->family += f->has_auc;
				r->nfig++;
			}
	alpha = 0.05 / (r->family ? r->family : 1);
	for (int i = 0; i < r->nfig; i++) {
		struct figure *f = &r->fig[i];
		long small = f->auc.n1 < f->auc.n0 ? f->auc.n1 : f->auc.n0;
		double h;

		if (!f->has_auc)
			continue;
		h = vd_t_quantile(1 - alpha / 2, (double)(small - 1)) * f->auc.se;
		f->lo = fmax(0, f->auc.auc - h);
		f->hi = fmin(1, f->auc.auc + h);
	}
}

/* ------------------------------------------------------------------ */
/* Writing */

static void quarter_label(int q, char out[16])
{
	snprintf(out, 16, "%d-Q%d", (q / 4) % 10000, q % 4 + 1);
}

/* "2023-Q1..2025-Q2", or NULL for an empty range. */
static const char *cohorts(int from, int to, char out[40])
{
	char a[16], b[16];

	if (from == 0 || to < from)
		return NULL;
	quarter_label(from, a);
	quarter_label(to, b);
	snprintf(out, 40, "%s..%s", a, b);
	return out;
}

static int insert_figure(struct run *r, const struct figure *f)
{
	const struct split *sp = &r->split[f->outcome];
	char ver[8], n[3][24], num[10][32], tr[40], te[40];
	const char *p[21] = {
		f->s->instrument, ver, f->s->predictor, score_name[f->score],
		outcome_name[f->outcome], n[0], n[1], n[2],
		cohorts(sp->first, sp->cut - 1, tr), cohorts(sp->cut, sp->last, te),
		f->has_auc ? measure__num(f->auc.auc, num[0]) : NULL,
		f->has_auc ? measure__num(f->auc.se, num[1]) : NULL,
		f->has_auc ? measure__num(f->lo, num[2]) : NULL,
		f->has_auc ? measure__num(f->hi, num[3]) : NULL,
		f->has_cal ? measure__num(f->cal.slope, num[4]) : NULL,
		f->has_cal ? measure__num(f->cal.intercept, num[5]) : NULL,
		f->has_cal ? measure__num(f->cal.brier, num[6]) : NULL,
		measure__num(f->brier_null, num[7]),
		measure__num(f->slope_train, num[8]),
		f->has_auc ? vd_strength(f->auc.auc, f->lo, f->hi) : NULL,
		f->note};
	PGresult *res;

	snprintf(ver, sizeof(ver), "%d", f->s->version);
	if (f->s->version == 0)
		p[1] = NULL;
	snprintf(n[0], sizeof(n[0]), "%ld", f->n);
	snprintf(n[1], sizeof(n[1]), "%ld", f->n_good);
	snprintf(n[2], sizeof(n[2]), "%ld", f->n_train);
	res = db_query(r->c, WHO,
		       "INSERT INTO fremdrift.validity (instrument, version, "
		       "predictor, score, outcome, n, n_good, n_train, "
		       "train_cohorts, test_cohorts, c_statistic, se, ci_low, "
		       "ci_high, calibration_slope, calibration_intercept, "
		       "brier, brier_null, slope_train, strength, note) VALUES "
		       "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
		       "$14, $15, $16, $17, $18, $19, $20, $21)",
		       21, p);
	PQclear(res);
	return res ? 0 : -1;
}

static int write_figures(struct run *r)
{
	char min[16], fam[16], level[32];
	const char *p[5] = {r->data_until, min, r->cfg->validity_good, fam,
			    measure__num(1 - 0.05 / (r->family ? r->family : 1),
					 level)};
	PGresult *res;

	snprintf(min, sizeof(min), "%u", r->cfg->validity_min_n);
	snprintf(fam, sizeof(fam), "%d", r->family);
	if (db_exec(r->c, WHO, "TRUNCATE fremdrift.validity, "
			       "fremdrift.validity_run") != 0)
		return -1;
	res = db_query(r->c, WHO,
		       "INSERT INTO fremdrift.validity_run (data_until, min_n, "
		       "good_statuses, family, ci_level) SELECT $1, $2, "
		       "array_agg(code ORDER BY code), $4, $5 FROM "
		       "fremdrift.exit_statuses WHERE CASE WHEN $3::text IS "
		       "NULL THEN towards_work ELSE code = ANY "
		       "(string_to_array($3, ',')) END",
		       5, p);
	PQclear(res);
	if (res == NULL)
		return -1;
	for (int i = 0; i < r->nfig; i++)
		if (insert_figure(r, &r->fig[i]) != 0)
			return -1;
	return 0;
}

int measure__validity(PGconn *conn, const struct fr_config *cfg,
		      const struct catalog *cat)
{
	struct run *r = fr_xcalloc(1, sizeof(*r));
	struct timespec t0;
	int rc = -1, tests = 0, flagged = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->c = conn;
	r->cfg = cfg;
	/* The join of every course's progression with its outcome hashes a
	 * few hundred thousand courses: in memory, not in batches on disk
	 * (4 MB by default spilled 250 MB at 300,000 courses). */
	if (db_exec(conn, WHO, "SET LOCAL work_mem = '128MB'") == 0 &&
	    outcomes(r) == 0 && splits(r) == 0 && read_series(r) == 0) {
		figures(r);
		fprintf(stderr, "validity: scores against exits: %.1f s\n",
			measure__seconds_since(&t0));
		if (write_figures(r) == 0 &&
		    measure__dif(conn, cat, cfg->validity_min_n, r->data_until,
				 &tests, &flagged) == 0 &&
		    db_exec(conn, WHO, "SELECT fremdrift.validity_publish()") == 0)
			rc = 0;
	}
	if (rc == 0)
		fprintf(stderr, "validity: %d figures, %d intervals, %d DIF "
				"tests, %d items flagged: %.1f s\n",
			r->nfig, r->family, tests, flagged, measure__seconds_since(&t0));
	for (int i = 0; i < r->ns; i++)
		free(r->s[i].o);
	free(r->fig);
	free(r);
	return rc;
}
