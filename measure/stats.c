/*
 * Cronbach's alpha and the baseline SD, from running sums: `measure
 * refresh` computes them in one streaming pass over the responses.
 */
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
