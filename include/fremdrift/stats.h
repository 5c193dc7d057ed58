/*
 * Progression statistics (design §6): Cronbach's alpha, the Reliable
 * Change Index and Goal Attainment Scaling. Pure functions, any thread.
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

enum rci_class { RCI_DETERIORATED = -1, RCI_UNCHANGED = 0, RCI_IMPROVED = 1 };

/*
 * Jacobson & Truax: SE_diff = sd_baseline * sqrt(2) * sqrt(1 - r),
 * RCI = change / SE_diff; improved at RCI >= 1.96, deteriorated at
 * RCI <= -1.96. 0, or -1 when SE_diff is not positive (r >= 1 or sd 0).
 */
int rci(double change, double sd_baseline, double r, double *value,
	enum rci_class *cls);

/*
 * Goal Attainment Scaling T-score: levels x in -2..2, weights w, rho:
 * T = 50 + 10 * sum(w x) / sqrt((1 - rho) sum(w^2) + rho (sum w)^2).
 * 0, or -1 for no goals.
 */
int gas_t(const int *levels, const int *weights, int n, double rho,
	  double *t);

#endif
