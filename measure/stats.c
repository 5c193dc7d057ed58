#include "fremdrift/stats.h"

#include <math.h>
#include <string.h>

void alpha_init(struct alpha_acc *a, int k)
{
	memset(a, 0, sizeof(*a));
	a->k = k > STATS_MAX_ITEMS ? STATS_MAX_ITEMS : k;
}

void alpha_add(struct alpha_acc *a, const double *items)
{
	double total = 0;

	for (int i = 0; i < a->k; i++) {
		a->sum[i] += items[i];
		a->sumsq[i] += items[i] * items[i];
		total += items[i];
	}
	a->tsum += total;
	a->tsumsq += total * total;
	a->n++;
}

/* Sample variance from running sums. */
static double var(double sum, double sumsq, long n)
{
	double v = (sumsq - sum * sum / (double)n) / (double)(n - 1);

	return v < 0 ? 0 : v; /* rounding can go a hair below zero */
}

int alpha_value(const struct alpha_acc *a, double *alpha)
{
	double items = 0, total;

	if (a->n < 2 || a->k < 2)
		return -1;
	for (int i = 0; i < a->k; i++)
		items += var(a->sum[i], a->sumsq[i], a->n);
	total = var(a->tsum, a->tsumsq, a->n);
	if (total <= 0)
		return -1;
	*alpha = (double)a->k / (a->k - 1) * (1.0 - items / total);
	return 0;
}

void sd_add(struct sd_acc *s, double x)
{
	s->n++;
	s->sum += x;
	s->sumsq += x * x;
}

int sd_value(const struct sd_acc *s, double *sd)
{
	if (s->n < 2)
		return -1;
	*sd = sqrt(var(s->sum, s->sumsq, s->n));
	return 0;
}

int rci(double change, double sd_baseline, double r, double *value,
	enum rci_class *cls)
{
	double se;

	if (r >= 1 || sd_baseline <= 0)
		return -1;
	se = sd_baseline * sqrt(2.0) * sqrt(1.0 - r);
	*value = change / se;
	*cls = *value >= 1.96 ? RCI_IMPROVED
	       : *value <= -1.96 ? RCI_DETERIORATED
				 : RCI_UNCHANGED;
	return 0;
}

int gas_t(const int *levels, const int *weights, int n, double rho,
	  double *t)
{
	double swx = 0, sw2 = 0, sw = 0;

	if (n <= 0)
		return -1;
	for (int i = 0; i < n; i++) {
		swx += (double)weights[i] * levels[i];
		sw2 += (double)weights[i] * weights[i];
		sw += weights[i];
	}
	*t = 50.0 + 10.0 * swx / sqrt((1.0 - rho) * sw2 + rho * sw * sw);
	return 0;
}
