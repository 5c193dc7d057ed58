/*
 * The statistics of `fremdrift measure validity` (validity.h,
 * docs/validity.md). Written out here rather than taken from GSL: the
 * pieces are small (a sort, a Cholesky solve, two special functions),
 * each is checked in tests/unit/test_validity.c against R, and the
 * service keeps one dependency fewer.
 */
#include "fremdrift/validity.h"

#include "fremdrift/buf.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The C-statistic and DeLong's variance */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* How many of the sorted v[0..n-1] are below x (*lo) and at most x (*hi). */
static void count_around(const double *v, long n, double x, long *lo,
			 long *hi)
{
	long a = 0, b = n;

	while (a < b) { /* the first not below x */
		long m = a + (b - a) / 2;

		if (v[m] < x)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	for (b = n; a < b;) { /* the first above x */
		long m = a + (b - a) / 2;

		if (v[m] <= x)
			a = m + 1;
		else
			b = m;
	}
	*hi = a;
}

/* The sample variance of v[0..n-1] around mean. */
static double spread(const double *v, long n, double mean)
{
	double s = 0;

	for (long i = 0; i < n; i++)
		s += (v[i] - mean) * (v[i] - mean);
	return s / (double)(n - 1);
}

/*
 * DeLong, DeLong and Clarke-Pearson (1988): each good case's placement
 * V10 is the share of the others it outranks (a tie counts half), each
 * other case's V01 the share of good cases that outrank it; the AUC is
 * the mean placement and its variance S10/n1 + S01/n0. The placements
 * come from counts in the sorted scores of the other outcome, which is
 * the midrank formulation of Sun and Xu (2014) without the ranks.
 */
int vd_auc(const double *x, const unsigned char *y, long n,
	   struct vd_auc *out)
{
	double *good, *bad, *v10, *v01, auc = 0;
	long n1 = 0, n0 = 0, lo, hi;

	for (long i = 0; i < n; i++)
		n1 += y[i] != 0;
	n0 = n - n1;
	if (n1 < 2 || n0 < 2)
		return FR_EINVAL;
	good = fr_xmalloc(sizeof(double) * (size_t)n1);
	bad = fr_xmalloc(sizeof(double) * (size_t)n0);
	for (long i = 0, a = 0, b = 0; i < n; i++) {
		if (y[i])
			good[a++] = x[i];
		else
			bad[b++] = x[i];
	}
	qsort(good, (size_t)n1, sizeof(double), cmp_double);
	qsort(bad, (size_t)n0, sizeof(double), cmp_double);
	v10 = fr_xmalloc(sizeof(double) * (size_t)n1);
	v01 = fr_xmalloc(sizeof(double) * (size_t)n0);
	for (long i = 0; i < n1; i++) {
		count_around(bad, n0, good[i], &lo, &hi);
		v10[i] = ((double)lo + 0.5 * (double)(hi - lo)) / (double)n0;
		auc += v10[i];
	}
	auc /= (double)n1;
	for (long j = 0; j < n0; j++) {
		count_around(good, n1, bad[j], &lo, &hi);
		v01[j] = ((double)(n1 - hi) + 0.5 * (double)(hi - lo)) /
			 (double)n1;
	}
	out->auc = auc;
	out->se = sqrt(spread(v10, n1, auc) / (double)n1 +
		       spread(v01, n0, auc) / (double)n0);
	out->n1 = n1;
	out->n0 = n0;
	free(good);
	free(bad);
	free(v10);
	free(v01);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Logistic regression */

/* R's logistic link (binomial()$linkinv): no probability of exactly 0
 * or 1, so the weights of the next step stay positive. */
static double inv_logit(double eta)
{
	const double thresh = -log(DBL_EPSILON);

	if (eta < -thresh)
		return DBL_EPSILON;
	if (eta > thresh)
		return 1 - DBL_EPSILON;
	return 1 / (1 + exp(-eta));
}

static double row_weight(const struct vd_glm *g, long i)
{
	return g->w ? g->w[i] : 1.0;
}

/* -2 log-likelihood of the Bernoulli rows behind g at mu. */
static double minus2ll(const struct vd_glm *g, const double *mu)
{
	double ll = 0;

	for (long i = 0; i < g->n; i++) {
		double y = g->y[i], w = row_weight(g, i);

		if (y > 0)
			ll += w * y * log(mu[i]);
		if (y < 1)
			ll += w * (1 - y) * log(1 - mu[i]);
	}
	return -2 * ll;
}

/*
 * Solves a x = b for a symmetric positive definite p × p matrix by
 * Cholesky (a is overwritten with its factor, b with x). FR_EINVAL when
 * a pivot falls below 1e-10 of its column's own diagonal: a column the
 * others (nearly) explain.
 */
static int cholesky_solve(double *a, double *b, int p)
{
	double diag[VD_MAX_P];

	for (int k = 0; k < p; k++)
		diag[k] = a[k * p + k];
	for (int k = 0; k < p; k++) {
		double d = a[k * p + k];

		for (int j = 0; j < k; j++)
			d -= a[k * p + j] * a[k * p + j];
		if (!(d > 1e-10 * diag[k]))
			return FR_EINVAL;
		a[k * p + k] = sqrt(d);
		for (int i = k + 1; i < p; i++) {
			double s = a[i * p + k];

			for (int j = 0; j < k; j++)
				s -= a[i * p + j] * a[k * p + j];
			a[i * p + k] = s / a[k * p + k];
		}
	}
	for (int i = 0; i < p; i++) { /* L z = b */
		for (int j = 0; j < i; j++)
			b[i] -= a[i * p + j] * b[j];
		b[i] /= a[i * p + i];
	}
	for (int i = p - 1; i >= 0; i--) { /* L' x = z */
		for (int j = i + 1; j < p; j++)
			b[i] -= a[j * p + i] * b[j];
		b[i] /= a[i * p + i];
	}
	return 0;
}

/* One Newton step: beta from the working response at eta and mu. */
static int newton_step(const struct vd_glm *g, const double *eta,
		       const double *mu, double *beta)
{
	int p = g->p;
	double a[VD_MAX_P * VD_MAX_P] = {0}, b[VD_MAX_P] = {0};

	for (long i = 0; i < g->n; i++) {
		const double *xi = g->x + i * p;
		double v = mu[i] * (1 - mu[i]), wt, z;

		if (v < DBL_EPSILON)
			v = DBL_EPSILON;
		wt = row_weight(g, i) * v;
		z = eta[i] - (g->offset ? g->offset[i] : 0) +
		    (g->y[i] - mu[i]) / v;
		for (int r = 0; r < p; r++) {
			b[r] += wt * xi[r] * z;
			for (int c = 0; c <= r; c++)
				a[r * p + c] += wt * xi[r] * xi[c];
		}
	}
	for (int r = 0; r < p; r++)
		for (int c = r + 1; c < p; c++)
			a[r * p + c] = a[c * p + r];
	if (cholesky_solve(a, b, p) != 0)
		return FR_EINVAL;
	memcpy(beta, b, sizeof(double) * (size_t)p);
	return 0;
}

/* eta and mu at beta; 1 if a fitted probability of a row with weight is
 * 0 or 1 to machine precision. */
static int predict(const struct vd_glm *g, const double *beta, double *eta,
		   double *mu)
{
	int edge = 0;

	for (long i = 0; i < g->n; i++) {
		double e = g->offset ? g->offset[i] : 0;

		for (int c = 0; c < g->p; c++)
			e += g->x[i * g->p + c] * beta[c];
		eta[i] = e;
		mu[i] = inv_logit(e);
		if (row_weight(g, i) > 0 &&
		    (mu[i] < 10 * DBL_EPSILON || mu[i] > 1 - 10 * DBL_EPSILON))
			edge = 1;
	}
	return edge;
}

int vd_logit(const struct vd_glm *g, struct vd_fit *out)
{
	double *eta, *mu, dev, old;
	int rc = FR_ESTATE, edge = 0;

	if (g->p < 1 || g->p > VD_MAX_P || g->n < 1)
		return FR_EINVAL;
	memset(out, 0, sizeof(*out));
	eta = fr_xmalloc(sizeof(double) * (size_t)g->n);
	mu = fr_xmalloc(sizeof(double) * (size_t)g->n);
	/* glm.fit's start for the binomial family: (w y + 1/2) / (w + 1). */
	for (long i = 0; i < g->n; i++) {
		double w = row_weight(g, i);

		mu[i] = (w * g->y[i] + 0.5) / (w + 1);
		eta[i] = log(mu[i] / (1 - mu[i]));
	}
	old = minus2ll(g, mu);
	for (out->iterations = 1; out->iterations <= 50; out->iterations++) {
		if (newton_step(g, eta, mu, out->beta) != 0) {
			rc = FR_EINVAL;
			break;
		}
		edge = predict(g, out->beta, eta, mu);
		dev = minus2ll(g, mu);
		if (fabs(dev - old) / (fabs(dev) + 0.1) < 1e-10) {
			out->deviance = dev;
			rc = edge ? FR_ESTATE : 0;
			break;
		}
		old = dev;
	}
	free(eta);
	free(mu);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Calibration */

int vd_calibrate(const double *p, const unsigned char *y, long n,
		 struct vd_calib *out)
{
	double *x = fr_xmalloc(sizeof(double) * 2 * (size_t)n);
	double *lp = fr_xmalloc(sizeof(double) * (size_t)n);
	double *yy = fr_xmalloc(sizeof(double) * (size_t)n);
	double brier = 0;
	struct vd_fit fit;
	int rc;

	for (long i = 0; i < n; i++) {
		double q = p[i] < 1e-15 ? 1e-15 : p[i] > 1 - 1e-15 ? 1 - 1e-15
								: p[i];

		lp[i] = log(q / (1 - q));
		yy[i] = y[i] ? 1 : 0;
		x[2 * i] = 1;
		x[2 * i + 1] = lp[i];
		brier += (yy[i] - p[i]) * (yy[i] - p[i]);
	}
	/* The slope: logit(p) as the covariate of a new model. */
	rc = vd_logit(&(struct vd_glm){n, 2, x, yy, NULL, NULL}, &fit);
	if (rc == 0) {
		out->slope = fit.beta[1];
		/* In the large: logit(p) as an offset, only an intercept
		 * left to fit (x's rows, of stride 1, are all 1). */
		for (long i = 0; i < n; i++)
			x[i] = 1;
		rc = vd_logit(&(struct vd_glm){n, 1, x, yy, NULL, lp}, &fit);
		out->intercept = fit.beta[0];
	}
	out->brier = brier / (double)n;
	free(x);
	free(lp);
	free(yy);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Differential item functioning */

/* The design of model k (1: score; 2: + group; 3: + score × group) for
 * the cells, into x (ncells rows of the model's p columns). */
static int dif_design(const struct vd_dif_cell *cells, int ncells,
		      int ngroups, int k, double *x)
{
	int p = k == 1 ? 2 : k == 2 ? ngroups + 1 : 2 * ngroups;

	for (int i = 0; i < ncells; i++) {
		double *r = x + (long)i * p, s = cells[i].score / 100;

		memset(r, 0, sizeof(double) * (size_t)p);
		r[0] = 1;
		r[1] = s;
		for (int g = 1; k > 1 && g < ngroups; g++) {
			r[1 + g] = cells[i].group == g;
			if (k == 3)
				r[ngroups + g] = s * (cells[i].group == g);
		}
	}
	return p;
}

/* Nagelkerke's R² of a model with -2 log-likelihood m2ll, against the
 * intercept-only one (ll0), over n respondents. */
static double nagelkerke(double m2ll, double ll0, double n)
{
	return (1 - exp((2 * ll0 + m2ll) / n)) / (1 - exp(2 * ll0 / n));
}

int vd_dif(const struct vd_dif_cell *cells, int ncells, int ngroups,
	   struct vd_dif *out)
{
	double *x, *y, *w, m2ll[3], n = 0, high = 0, ll0, pbar;
	int rc = 0;

	if (ngroups < 2 || 2 * ngroups > VD_MAX_P || ncells < 1)
		return FR_EINVAL;
	x = fr_xmalloc(sizeof(double) * 2 * (size_t)ngroups * (size_t)ncells);
	y = fr_xmalloc(sizeof(double) * (size_t)ncells);
	w = fr_xmalloc(sizeof(double) * (size_t)ncells);
	for (int i = 0; i < ncells; i++) {
		w[i] = cells[i].n;
		y[i] = cells[i].n > 0 ? cells[i].high / cells[i].n : 0;
		n += cells[i].n;
		high += cells[i].high;
	}
	for (int k = 1; k <= 3 && rc == 0; k++) {
		struct vd_glm g = {ncells, dif_design(cells, ncells, ngroups, k,
						      x),
				   x, y, w, NULL};
		struct vd_fit fit;

		rc = vd_logit(&g, &fit);
		m2ll[k - 1] = fit.deviance;
	}
	free(x);
	free(y);
	free(w);
	if (rc != 0)
		return rc;
	pbar = high / n;
	ll0 = high * log(pbar) + (n - high) * log(1 - pbar);
	out->n = n;
	out->df = ngroups - 1;
	out->chi2_uniform = fmax(0, m2ll[0] - m2ll[1]);
	out->chi2_nonuniform = fmax(0, m2ll[1] - m2ll[2]);
	out->p_uniform = vd_chisq_sf(out->chi2_uniform, out->df);
	out->p_nonuniform = vd_chisq_sf(out->chi2_nonuniform, out->df);
	out->r2_uniform = nagelkerke(m2ll[1], ll0, n) -
			  nagelkerke(m2ll[0], ll0, n);
	out->r2_nonuniform = nagelkerke(m2ll[2], ll0, n) -
			     nagelkerke(m2ll[1], ll0, n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Distributions */

/* Acklam's rational approximation (relative error 1.2e-9), then two
 * Halley steps on the exact normal distribution (erfc) to full double
 * precision. */
double vd_norm_quantile(double p)
{
	static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
				    -2.759285104469687e+02, 1.383577518672690e+02,
				    -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
				    -1.556989798598866e+02, 6.680131188771972e+01,
				    -1.328068155288572e+01};
	static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
				    -2.400758277161838e+00, -2.549732539343734e+00,
				    4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
				    2.445134137142996e+00, 3.754408661907416e+00};
	double q, r, x;

	if (!(p > 0 && p < 1))
		return NAN;
	if (p < 0.02425 || p > 1 - 0.02425) {
		q = sqrt(-2 * log(p < 0.5 ? p : 1 - p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
		     c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
		if (p > 0.5)
			x = -x;
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r +
		     a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r +
		     1);
	}
	for (int i = 0; i < 2; i++) {
		double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
		double u = e * sqrt(2 * M_PI) * exp(x * x / 2);

		x -= u / (1 + x * u / 2);
	}
	return x;
}

/*
 * Student's t by the Cornish-Fisher expansion in 1/df to its fifth term
 * (Abramowitz and Stegun 26.7.5): against R's qt() at the quantiles
 * `measure validity` uses (1 - 0.05 / (2 m), m up to 200) it is off by
 * less than 1.1e-4 for df >= 19 and 5e-3 for df >= 9.
 */
double vd_t_quantile(double p, double df)
{
	double z = vd_norm_quantile(p), z2 = z * z, z3 = z2 * z, z5 = z3 * z2,
	       z7 = z5 * z2, z9 = z7 * z2;

	if (!(df > 0))
		return NAN;
	return z + (z3 + z) / (4 * df) +
	       (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) +
	       (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df * df * df) +
	       (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) /
		       (92160 * df * df * df * df);
}

/* The regularised lower incomplete gamma function P(a, z) by its series
 * (for z < a + 1, where it converges fast). */
static double gamma_p_series(double a, double z)
{
	double sum = 1 / a, del = sum, ap = a;

	for (int i = 0; i < 1000 && fabs(del) > fabs(sum) * 1e-16; i++) {
		ap += 1;
		del *= z / ap;
		sum += del;
	}
	return sum * exp(-z + a * log(z) - lgamma(a));
}

/* The regularised upper incomplete gamma function Q(a, z) by its
 * continued fraction, modified Lentz (for z >= a + 1). */
static double gamma_q_fraction(double a, double z)
{
	const double tiny = 1e-300;
	double b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d;

	for (int i = 1; i < 1000; i++) {
		double an = -i * (i - a), del;

		b += 2;
		d = an * d + b;
		if (fabs(d) < tiny)
			d = tiny;
		c = b + an / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return exp(-z + a * log(z) - lgamma(a)) * h;
}

double vd_chisq_sf(double x, double df)
{
	double a = df / 2, z = x / 2;

	if (!(df > 0) || isnan(x))
		return NAN;
	if (x <= 0)
		return 1;
	return z < a + 1 ? 1 - gamma_p_series(a, z) : gamma_q_fraction(a, z);
}

const char *vd_strength(double c, double lo, double hi)
{
	if (hi < 0.5)
		return "opposite";
	if (lo <= 0.5)
		return "none";
	return c < 0.6 ? "weak" : c < 0.7 ? "moderate" : "strong";
}
