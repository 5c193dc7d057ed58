/*
 * The statistics of `fremdrift measure validity` (docs/validity.md): does
 * a questionnaire score foretell a good exit, and do its items mean the
 * same to every group? Pure functions, no I/O, any thread; they allocate
 * only scratch memory they free again (aborting on out-of-memory, as
 * fr_xmalloc does).
 *
 *  - vd_auc: the C-statistic (area under the ROC curve), ties counted
 *    half, with DeLong's standard error, from ranks (Sun and Xu 2014).
 *  - vd_logit: a logistic regression by iteratively reweighted least
 *    squares (Newton's method), on binary rows or binomial counts, with
 *    an offset, and a convergence check as R's glm.fit does it.
 *  - vd_calibrate: calibration slope, calibration-in-the-large and the
 *    Brier score of predicted probabilities against outcomes.
 *  - vd_dif: differential item functioning by logistic regression
 *    (Swaminathan and Rogers 1990; Zumbo 1999): likelihood-ratio tests
 *    for uniform and non-uniform DIF and Nagelkerke's R² change.
 *  - vd_norm_quantile, vd_chisq_sf: the normal quantile and the
 *    chi-square upper tail the intervals and tests need.
 */
#ifndef FREMDRIFT_VALIDITY_H
#define FREMDRIFT_VALIDITY_H

#include "fremdrift/err.h"

/* The most coefficients of a model: DIF across g groups needs 2g. */
#define VD_MAX_P 32

/* The C-statistic of scores x (n of them) for outcomes y (1 good, 0
 * not), with DeLong's standard error. */
struct vd_auc {
	double auc, se;
	long n1, n0; /* good, not good */
};

/*
 * 0 and *out filled, or FR_EINVAL when either outcome has fewer than two
 * cases (no variance can be estimated). x and y are borrowed.
 */
int vd_auc(const double *x, const unsigned char *y, long n,
	   struct vd_auc *out);

/*
 * A logistic regression: n rows of p covariates (row-major in x, the
 * caller's intercept column included), each row with a proportion y in
 * [0, 1] out of w trials (w NULL: one trial a row) and an offset (NULL:
 * none) added to the linear predictor. Everything borrowed.
 */
struct vd_glm {
	long n;
	int p;
	const double *x, *y, *w, *offset;
};

struct vd_fit {
	double beta[VD_MAX_P];
	double deviance; /* -2 log-likelihood of the Bernoulli rows */
	int iterations;
};

/*
 * Fits g by Newton's method from R's starting values, until the
 * deviance changes by less than 1e-10 of itself (glm.fit's test, with a
 * tighter epsilon). 0 and *out filled; FR_EINVAL when p is out of range
 * or the information matrix is singular (a covariate without variation,
 * or one the others explain); FR_ESTATE when it has not converged in 50
 * steps or a fitted probability is 0 or 1 to machine precision
 * (separation: no finite estimate exists).
 */
int vd_logit(const struct vd_glm *g, struct vd_fit *out);

/* How predicted probabilities p (in (0, 1)) fit outcomes y. */
struct vd_calib {
	double slope;     /* of logit(p), in a logistic model of y: 1 is ideal */
	double intercept; /* calibration-in-the-large: logit(p) as an offset,
			     0 is ideal, above 0 means p was too low */
	double brier;     /* mean of (y - p)²: 0 is perfect */
};

/* 0 and *out filled, or vd_logit's error. Borrowed arguments. */
int vd_calibrate(const double *p, const unsigned char *y, long n,
		 struct vd_calib *out);

/*
 * One cell of an item's DIF table: respondents with the same matching
 * score (the dimension's score, 0-100) in the same group, how many of
 * them, and how many answered the item high.
 */
struct vd_dif_cell {
	double score;
	int group; /* 0 .. ngroups - 1 */
	double n, high;
};

/* Likelihood-ratio tests of one item across ngroups groups. */
struct vd_dif {
	double n;        /* respondents */
	int df;          /* ngroups - 1, for each test */
	double chi2_uniform, p_uniform, r2_uniform;
	double chi2_nonuniform, p_nonuniform, r2_nonuniform;
};

/*
 * Three nested logistic models of "answered high": score; score and
 * group; score, group and their interaction. Uniform DIF compares the
 * first two, non-uniform the last two; the R² changes are Nagelkerke's.
 * 0 and *out filled; FR_EINVAL for fewer than two groups or more than
 * VD_MAX_P / 2; vd_logit's error when a model cannot be fitted.
 */
int vd_dif(const struct vd_dif_cell *cells, int ncells, int ngroups,
	   struct vd_dif *out);

/* The p-quantile of the standard normal distribution, 0 < p < 1. */
double vd_norm_quantile(double p);

/*
 * The p-quantile of Student's t with df degrees of freedom, for the
 * upper tail (p >= 0.5) and df >= 9; see validity.c for its accuracy.
 * `measure validity` takes df = min(n1, n0) - 1, the conservative
 * degrees of freedom of a two-sample t procedure: with the normal
 * quantile DeLong's interval is too narrow in the far tails a Bonferroni
 * correction reaches (docs/validity.md, tests/unit/test_validity.c).
 */
double vd_t_quantile(double p, double df);

/* P(X > x) for X chi-square with df degrees of freedom (df > 0). */
double vd_chisq_sf(double x, double df);

/*
 * The words of docs/validity.md for a C-statistic c with a simultaneous
 * interval [lo, hi]: "opposite" (the interval lies below 0.5: higher
 * scores foretell a worse exit), "none" (it holds 0.5), "weak" (under
 * 0.6), "moderate" (under 0.7), "strong".
 */
const char *vd_strength(double c, double lo, double hi);

#endif
