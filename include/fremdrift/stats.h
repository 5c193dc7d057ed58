/*
 * Reliability statistics for `measure refresh`: Cronbach's alpha and the
 * standard deviation of the baseline scores, from running sums. Pure
 * functions, any thread. The Reliable Change Index and Goal Attainment
 * Scaling that use them are SQL functions (sql/current/10_formulas.sql),
 * where the report views compute them.
 */
#ifndef FREMDRIFT_STATS_H
#define FREMDRIFT_STATS_H

/* Running sums for Cronbach's alpha over complete cases of k items. */
#define STATS_MAX_ITEMS 64

struct alpha_acc {
	int k;
	long n;
	double sum[STATS_MAX_ITEMS], sumsq[STATS_MAX_ITEMS];
	double tsum, tsumsq; /* of each case's item total */
};

void alpha_init(struct alpha_acc *a, int k);

/* Adds one complete case: k item values. */
void alpha_add(struct alpha_acc *a, const double *items);

/*
 * alpha = k/(k-1) * (1 - sum of item variances / variance of totals),
 * sample variances. 0 and *alpha set, or -1 when it is undefined (fewer
 * than two cases or items, or no variance in the totals).
 */
int alpha_value(const struct alpha_acc *a, double *alpha);

/* Running mean and sample standard deviation. */
struct sd_acc {
	long n;
	double sum, sumsq;
};

void sd_add(struct sd_acc *s, double x);
/* 0 and *sd set, or -1 with fewer than two values. */
int sd_value(const struct sd_acc *s, double *sd);

#endif
