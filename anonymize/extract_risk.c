/*
 * The risk report of an extract, in ARX's terms, over the courses kept and
 * the groups extract_kanon.c formed (judged against everything the
 * project holds):
 *
 *   prosecutor  the attacker knows the citizen is in the extract: a
 *               course's risk is 1 / the citizens of its group; the
 *               highest and the average over the courses
 *   journalist  the attacker does not know that: 1 / the citizens of the
 *               group in the population the extract was drawn from. The
 *               population is every course of the period, and suppression
 *               takes whole groups out, so a kept course's group is the
 *               same in both: journalist risk equals prosecutor risk here
 *   marketer    the share of courses an attacker who matches everyone
 *               re-identifies on average (the mean of the journalist risk)
 *   at risk     the share of courses whose prosecutor risk is over a
 *               threshold (0.1), and how many are over 1/k (none, or the
 *               extract is not written)
 */
#include "extract_internal.h"

void extract__risk(struct extract *x)
{
	struct extract__risk *r = &x->risk;
	double sum = 0;
	long n = 0, at_risk = 0;

	/* r->classes was counted by extract__kanon. */
	r->threshold = 0.1;
	r->prosecutor_max = 0;
	r->smallest = 0;
	r->above_k = 0;
	for (int i = 0; i < x->ncourses; i++) {
		const struct extract__course *c = &x->courses[i];
		double p;

		if (!c->keep || c->prosecutor <= 0)
			continue;
		p = 1.0 / c->prosecutor;
		n++;
		sum += p;
		if (p > r->prosecutor_max) {
			r->prosecutor_max = p;
			r->smallest = c->prosecutor;
		}
		at_risk += p > r->threshold;
		r->above_k += p > 1.0 / x->opts->k + 1e-12;
	}
	r->prosecutor_avg = n ? sum / (double)n : 0;
	r->journalist_max = r->prosecutor_max;
	r->journalist_avg = r->prosecutor_avg;
	r->marketer = r->journalist_avg;
	r->at_risk_share = n ? (double)at_risk / (double)n : 0;
}
