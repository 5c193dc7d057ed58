/*
 * The headline row of the leadership page (dr_headlines in dash_render.h):
 * the few figures that changed most since the previous period, in words.
 *
 * Only changes larger than the protection and chance could make are
 * named: a share must move at least 5 percentage points, a count or a mean
 * at least 10 % (and a count at least twice the protection's largest
 * noise, a mean of paid hours at least half an hour). Both periods' figures
 * must be shown; a hidden figure is never guessed at.
 */
#include "fremdrift/dash_render.h"

#include "dash_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARE_POINTS 5.0
#define RELATIVE 0.10

struct cand {
	double score;
	char text[256];
};

struct cands {
	int n;
	struct cand c[DR_MAX_KEYS * 4 + 4];
};

/* Figure `field` of category k of view v in trend period t, or NAN. */
static double at(const struct dr_model *m, enum dr_view v, int k, int t,
		 char field)
{
	if (t < 0 || k >= m->v[v].nkeys || !m->v[v].has[t][k])
		return NAN;
	return dt_field(&m->v[v].fig[t][k], field);
}

static const char *verb(double a, double b)
{
	return b > a ? "steg" : "faldt";
}

static void add_share(struct cands *cs, const char *subject, double a,
		      double b)
{
	double d = (b - a) * 100;
	struct cand *c;

	if (isnan(d) || fabs(d) < SHARE_POINTS)
		return;
	c = &cs->c[cs->n++];
	c->score = fabs(d);
	/* a no-break space keeps "29 %" on one line */
	snprintf(c->text, sizeof(c->text),
		 "%s %s fra %ld\u00a0%% til %ld\u00a0%%.",
		 subject, verb(a, b), lround(a * 100), lround(b * 100));
}

/* A count or a mean: scored by its relative change in percent. */
static void add_level(struct cands *cs, const char *subject, double a,
		      double b, double min_step, int dec)
{
	char sa[32], sb[32];
	struct cand *c;

	if (isnan(a) || isnan(b) || a <= 0 || fabs(b - a) < min_step ||
	    fabs(b - a) < RELATIVE * a)
		return;
	c = &cs->c[cs->n++];
	c->score = 100 * fabs(b - a) / a;
	dr_num(a, dec, sa, sizeof(sa));
	dr_num(b, dec, sb, sizeof(sb));
	snprintf(c->text, sizeof(c->text), "%s %s fra %s til %s.", subject,
		 verb(a, b), sa, sb);
}

static void add_keyed(struct cands *cs, const struct dr_model *m,
		      enum dr_view v, char field, const char *prefix, int t)
{
	for (int k = 0; k < m->v[v].nkeys; k++) {
		char label[128], subject[200];

		dt_key_label(m, v, m->v[v].keys[k], label, sizeof(label));
		snprintf(subject, sizeof(subject), "%s »%s«", prefix, label);
		add_share(cs, subject, at(m, v, k, t - 1, field),
			  at(m, v, k, t, field));
	}
}

static int by_score(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	return (a->score < b->score) - (a->score > b->score);
}

int dr_headlines(const struct dr_model *m, char (*out)[256], int n)
{
	struct cands *cs;
	int t = m->ntrend - 1, got;

	if (m->previous == NULL || t < 1)
		return 0;
	cs = calloc(1, sizeof(*cs));
	if (cs == NULL)
		return 0;
	add_level(cs, "Antallet af borgere i forløb",
		  at(m, DV_OVERVIEW, 0, t - 1, 'n'), at(m, DV_OVERVIEW, 0, t, 'n'),
		  2.0 * m->prot.noise_max, 0);
	add_share(cs, "Andelen med en virksomhedsrettet indsats",
		  at(m, DV_COMPANY, 0, t - 1, '1'), at(m, DV_COMPANY, 0, t, '1'));
	add_level(cs, "Løntimerne pr. uge i gennemsnit",
		  at(m, DV_PAID_HOURS, 0, t - 1, 'm'),
		  at(m, DV_PAID_HOURS, 0, t, 'm'), 0.5, 1);
	add_keyed(cs, m, DV_PROGRESSION, '1',
		  "Andelen med sikker fremgang på", t);
	add_keyed(cs, m, DV_SUBGOALS, '1', "Andelen, der har nået delmålet",
		  t);
	add_keyed(cs, m, DV_MIX, 's',
		  "Andelen til job eller uddannelse ved", t);
	qsort(cs->c, (size_t)cs->n, sizeof(cs->c[0]), by_score);
	got = cs->n < n ? cs->n : n;
	for (int i = 0; i < got; i++)
		memcpy(out[i], cs->c[i].text, sizeof(out[i]));
	free(cs);
	return got;
}
