/*
 * Realistic synthetic courses as NDJSON on stdout (`fremdrift synth`), for
 * the demo and the benchmarks. Same seed, same bytes.
 *
 * The model follows the research the provider stands on (shared/domain.md):
 * every citizen has a latent level per questionnaire dimension that drifts
 * week by week, fastest when a company-oriented intervention runs in
 * parallel with a health/social or upskilling one, slower when they follow
 * one another, barely without a company-oriented one, and downwards with
 * no intervention at all; a consultant's belief in the citizen adds to the
 * drift and to the chance of a good exit. CPR numbers are replacement-style
 * (day + 60): never a real person's.
 */
#include "fremdrift/synth.h"

#include "fremdrift/buf.h"
#include "fremdrift/catalog.h"
#include "fremdrift/civil.h"
#include "fremdrift/err.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	/* xorshift64*: small, fast, and the same everywhere. */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

static double uni(struct rng *r) { return (double)(next(r) >> 11) / 9007199254740992.0; }
static int pick(struct rng *r, int n) { return (int)(uni(r) * n); }

static double gauss(struct rng *r)
{
	double u = uni(r), v = uni(r);

	if (u < 1e-12)
		u = 1e-12;
	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static const char *const departments[] = {"koebenhavn", "aarhus", "odense",
					  "aalborg", "esbjerg"};
static const char *const agreements[] = {
	"vulnerable_adults_30", "sick_listed", "youth_autism",
	"youth_psychiatric", "youth_outward", "activity_ready",
	"flex_job_applicants"};
static const char *const company[] = {"internship", "paid_hours",
				      "wage_subsidy", "flex_job_trial"};
static const char *const other[] = {
	"psychologist", "social_mentor", "exercise", "coping_group",
	"occupational_therapy", "group_teaching", "education_bridge",
	"cv_jobsearch", "danish_language", "work_assessment"};
static const char *const goals[] = {"belief", "community", "attendance",
				    "skills", "clarity", "mental_health",
				    "trust", "labour_market", "everyday",
				    "motivation"};

struct out {
	struct fr_buf b;
};

static void flush_out(struct out *o)
{
	size_t off = 0;

	while (off < o->b.len) {
		ssize_t w = write(1, o->b.data + off, o->b.len - off);

		if (w <= 0)
			exit(FR_EXIT_FATAL);
		off += (size_t)w;
	}
	fr_buf_reset(&o->b);
}

#define EMIT(o, ...)                                                           \
	do {                                                                   \
		fr_buf_printf(&(o)->b, __VA_ARGS__);                           \
		if ((o)->b.len > (1u << 20))                                   \
			flush_out(o);                                          \
	} while (0)

static void date_str(long days, char out[11]) { fr_date_str(days, out); }

/* The ISO week of a day, as 2026-W09. */
static void week_str(long days, char out[9])
{
	long thursday = days - ((days + 3) % 7) + 3; /* Monday-based */
	char d[11];
	long jan1;
	unsigned y, w;

	date_str(thursday, d);
	y = (unsigned)atoi(d);
	jan1 = fr_days_from_civil((int)y, 1, 1);
	w = (unsigned)((thursday - jan1) / 7 + 1);
	snprintf(out, 9, "%04u-W%02u", y % 10000u, w % 100u);
}

struct citizen {
	char cpr[12];
	int mix;       /* 0 none, 1 single other, 2 sequential, 3 parallel */
	int belief;    /* consultant's belief 1-5 */
	double level[8];
	double drift;
	int sober_items; /* 1: answers the sobriety items */
	int ev_no;       /* the next event number */
	int first_goal;  /* the goals set (and later rated) */
};

static void make_cpr(long i, struct rng *r, struct citizen *c)
{
	/* A unique replacement number for every i < 15.8 million. */
	long date = i % 15792, serial = (i / 15792) % 1000;
	int day = 61 + (int)(date % 28), month = 1 + (int)(date / 28 % 12);
	int year = 1962 + (int)(date / 336 % 47); /* 1962-2008 */
	int d7 = year >= 2000 ? 4 : (int)(serial % 4);
	int last = (int)(serial % 10);

	(void)r;
	snprintf(c->cpr, sizeof(c->cpr), "%02d%02d%02d-%d%03ld", day % 100,
		 month % 100, year % 100, d7 % 10,
		 (serial / 10 * 10 + last) % 1000);
}

static int clamp_answer(double x)
{
	int v = (int)lround(x);

	return v < 1 ? 1 : v > 5 ? 5 : v;
}

static void response(struct out *o, struct rng *r, long seed, long i, int n,
		     const struct instrument *ins, const struct citizen *c,
		     double weeks, long day, const char *course)
{
	char d[11];
	int hour = 9 + pick(r, 6), minute = pick(r, 60);

	date_str(day, d);
	EMIT(o,
	     "{\"kind\":\"response\",\"id\":\"s%ld-c%ld-r%d\",\"source\":\"synth\","
	     "\"cpr\":\"%s\",\"instrument\":\"%s\",\"version\":%d,"
	     "\"respondent\":\"%s\",\"answered_at\":\"%sT%02d:%02d:00+01:00\","
	     "\"course\":\"%s\",\"answers\":{",
	     seed, i, n, c->cpr, ins->name, ins->version,
	     ins->respondent == 'c' ? "citizen" : "consultant", d, hour % 24,
	     minute % 60, course);
	for (int k = 0; k < ins->nitems; k++) {
		const struct instr_item *it = &ins->items[k];
		double lvl = c->level[it->dim % 8] + c->drift * weeks;
		double x = 1 + 4 * (lvl / 100.0) + gauss(r) * 0.6;
		int v;

		if (ins->respondent == 'k' && k == 0)
			x = c->belief + gauss(r) * 0.3;
		v = clamp_answer(x);
		if (it->reversed)
			v = it->min + it->max - v;
		if (uni(r) < 0.04 ||
		    (!c->sober_items &&
		     strcmp(ins->dims[it->dim].id, "aedruelighed") == 0))
			EMIT(o, "%s\"%s\":null", k ? "," : "", it->id);
		else
			EMIT(o, "%s\"%s\":%d", k ? "," : "", it->id, v);
	}
	EMIT(o, "}}\n");
}

static void event_head(struct out *o, long seed, long i, struct citizen *c,
		       const char *course, long day, const char *type)
{
	char d[11];

	date_str(day, d);
	EMIT(o,
	     "{\"kind\":\"event\",\"id\":\"s%ld-c%ld-e%d\",\"source\":\"synth\","
	     "\"cpr\":\"%s\",\"course\":\"%s\",\"at\":\"%s\",\"type\":\"%s\"",
	     seed, i, c->ev_no++, c->cpr, course, d, type);
}

/* What the parts of one course share. */
struct course {
	struct out *o;
	struct rng *r;
	long seed, i;
	struct citizen c; /* this course's copy of the citizen */
	const char *name;
	const struct instrument *borger, *kons;
	long start, end, today;
	int weeks;
	int *np; /* the citizen's next response number */
};

static void course_event(struct course *k, long day, const char *type)
{
	event_head(k->o, k->seed, k->i, &k->c, k->name, day, type);
}

static void course_response(struct course *k, const struct instrument *ins,
			    double weeks, long day)
{
	response(k->o, k->r, k->seed, k->i, (*k->np)++, ins, &k->c, weeks, day,
		 k->name);
}

/* The citizen's mix of interventions and levels for this course, and the
 * events that open it. */
static void course_begin(struct course *k)
{
	struct rng *r = k->r;
	struct citizen *c = &k->c;
	double p = uni(r);
	const char *department, *agreement;

	c->mix = p < 0.10 ? 0 : p < 0.30 ? 1 : p < 0.60 ? 2 : 3;
	c->belief = 1 + pick(r, 5);
	for (int d = 0; d < 8; d++)
		c->level[d] = 35 + gauss(r) * 12;
	c->drift = (c->mix == 0 ? -0.25 : c->mix == 1 ? 0.1
				       : c->mix == 2 ? 0.45 : 0.85) +
		   0.12 * (c->belief - 3) + gauss(r) * 0.15;

	/* The agreement is drawn first: the order GCC evaluated the two draws
	 * in when they were arguments of one call, written out so that every
	 * compiler gives the same bytes for a seed. */
	agreement = agreements[pick(r, 7)];
	department = departments[pick(r, 5)];
	course_event(k, k->start, "course_started");
	EMIT(k->o, ",\"department\":\"%s\",\"agreement\":\"%s\"}\n",
	     department, agreement);
	course_event(k, k->start + 7, "job_chance_rated");
	EMIT(k->o, ",\"level\":%d}\n", c->belief);
	c->first_goal = pick(r, 10);
	for (int g = 0, first = c->first_goal; g < 3; g++) {
		course_event(k, k->start + 7, "goal_set");
		EMIT(k->o, ",\"goal\":\"%s\",\"weight\":%d}\n",
		     goals[(first + g * 3) % 10], 1 + pick(r, 3));
	}
}

/* The weeks in which the company-oriented and the other intervention
 * run (-1: none). */
struct plan {
	int comp_from, comp_to, oth_from, oth_to;
};

static void plan_interventions(struct course *k, struct plan *pl)
{
	int mix = k->c.mix;

	pl->comp_from = pl->comp_to = pl->oth_from = pl->oth_to = -1;
	if (mix >= 1) {
		pl->oth_from = 1 + pick(k->r, 3);
		pl->oth_to = pl->oth_from + 8 + pick(k->r, 8);
	}
	if (mix == 2) {
		pl->comp_from = pl->oth_to + 1 + pick(k->r, 3);
		pl->comp_to = k->weeks - 1;
	} else if (mix == 3) {
		pl->comp_from = pl->oth_from + pick(k->r, 3);
		pl->comp_to = k->weeks - 1;
	}
}

static void other_intervention(struct course *k, const struct plan *pl)
{
	const char *what;

	if (pl->oth_from < 0)
		return;
	what = other[pick(k->r, 10)];
	course_event(k, k->start + pl->oth_from * 7, "intervention_started");
	EMIT(k->o, ",\"intervention\":\"%s\"}\n", what);
	if (k->start + pl->oth_to * 7 <= k->today) {
		course_event(k, k->start + pl->oth_to * 7, "intervention_ended");
		EMIT(k->o, ",\"intervention\":\"%s\"}\n", what);
	}
}

/* The company-oriented intervention, with its hours every other week. */
static void company_intervention(struct course *k, const struct plan *pl)
{
	const char *what;

	if (pl->comp_from < 0 || pl->comp_from >= k->weeks)
		return;
	what = company[pick(k->r, 4)];
	course_event(k, k->start + pl->comp_from * 7, "intervention_started");
	EMIT(k->o, ",\"intervention\":\"%s\"}\n", what);
	for (int w = pl->comp_from; w <= pl->comp_to; w += 2) {
		long day = k->start + w * 7;
		double h = 6 + pick(k->r, 15);
		char wk[9];

		if (day > k->today)
			break;
		week_str(day, wk);
		course_event(k, day, "hours");
		EMIT(k->o, ",\"week\":\"%s\",\"hours\":%.0f,\"paid_hours\":%.0f}\n",
		     wk, h,
		     strcmp(what, "internship") == 0 ? 0.0 : floor(h * uni(k->r)));
	}
}

static void meetings(struct course *k)
{
	for (int w = 2; w < k->weeks; w += 4) {
		long day = k->start + w * 7;

		if (day > k->today)
			break;
		course_event(k, day, "meeting");
		EMIT(k->o, ",\"meeting\":\"%s\",\"attended\":%s}\n",
		     w % 12 == 2 ? "three_party" : "conversation",
		     uni(k->r) < 0.12 - 0.015 * k->c.belief ? "false" : "true");
	}
}

/* Questionnaire rounds every 4-6 weeks, the consultant's at the start. */
static void rounds(struct course *k)
{
	if (k->start <= k->today)
		course_response(k, k->kons, 0, k->start + 3);
	for (int w = 0; w < k->weeks; w += 4 + pick(k->r, 3)) {
		long day = k->start + w * 7 + pick(k->r, 3);

		if (day > k->today)
			break;
		course_response(k, k->borger, w, day);
	}
}

static const char *exit_status_for(double q)
{
	return q > 85 ? "employment" : q > 70 ? "education"
	       : q > 60 ? "flex_job" : q > 50 ? "employment_support"
	       : q > 20 ? "unemployment" : q > 10 ? "sickness_benefit"
					      : "other_public_support";
}

/* A course that has ended: the consultant's last round, the goals rated,
 * the exit and, two months on, the follow-up. */
static void course_end(struct course *k)
{
	struct citizen *c = &k->c;
	double final = c->level[0] + c->drift * k->weeks;
	const char *exit_status;
	double q = uni(k->r) * 100 + final - 40 + 6 * (c->belief - 3);

	course_response(k, k->kons, k->weeks, k->end - 2);
	for (int g = 0, first = c->first_goal; g < 3; g++) {
		int lvl = (int)lround(c->drift * 3 + gauss(k->r) * 0.8);

		course_event(k, k->end - 1, "goal_rated");
		EMIT(k->o, ",\"goal\":\"%s\",\"level\":%d}\n",
		     goals[(first + g * 3) % 10],
		     lvl < -2 ? -2 : lvl > 2 ? 2 : lvl);
	}
	exit_status = exit_status_for(q);
	course_event(k, k->end, "course_ended");
	EMIT(k->o, ",\"exit_status\":\"%s\"}\n", exit_status);
	if (k->end + 61 <= k->today) {
		course_event(k, k->end + 61, "followup");
		EMIT(k->o, ",\"months_after\":2,\"status\":\"%s\"}\n",
		     uni(k->r) < 0.8 ? exit_status : "unemployment");
	}
}

/* One course of a citizen from `start`; returns its (planned) end. */
static long one_course(struct out *o, struct rng *r, long seed, long i,
		       struct citizen *cp, const struct catalog *cat, long today,
		       const char *course, long start, int *np)
{
	struct course k = {
		.o = o, .r = r, .seed = seed, .i = i, .c = *cp, .name = course,
		.borger = catalog_instrument(cat, "borger", 6, 1),
		.kons = catalog_instrument(cat, "konsulent", 9, 1),
		.start = start, .today = today, .np = np};
	struct plan pl;

	k.weeks = 26 + pick(r, 27);
	k.end = start + k.weeks * 7;
	course_begin(&k);
	plan_interventions(&k, &pl);
	other_intervention(&k, &pl);
	company_intervention(&k, &pl);
	meetings(&k);
	rounds(&k);
	if (k.end <= today)
		course_end(&k);
	cp->ev_no = k.c.ev_no;
	return k.end;
}

/* A citizen: a course, and for about one in ten a new one later (a new
 * referral, perhaps to another department or target group), so the
 * dashboard's distinct-citizen counts meet citizens with several courses. */
static void one_citizen(struct out *o, struct rng *r, long seed, long i,
			const struct catalog *cat, long today)
{
	struct citizen c;
	char course[40];
	long start = 19358 + pick(r, 1186); /* 2023-01-01 .. 2026-03-31 */
	int n = 0;

	memset(&c, 0, sizeof(c));
	make_cpr(i, r, &c);
	c.sober_items = uni(r) < 0.15;
	for (int k = 0; k < 3; k++) {
		long end;

		if (k == 0)
			snprintf(course, sizeof(course), "S%ld-K%ld", seed, i);
		else
			snprintf(course, sizeof(course), "S%ld-K%ld-%d", seed, i,
				 k + 1);
		end = one_course(o, r, seed, i, &c, cat, today, course, start, &n);
		if (uni(r) >= 0.1)
			break;
		start = end + 7 * (4 + pick(r, 40));
		if (start > today)
			break;
	}
}

int synth_run(const struct synth_opts *opts)
{
	long citizens = opts->citizens, seed = opts->seed;
	struct catalog cat;
	struct fr_err err;
	struct out o;
	struct rng r;
	long today = 20634; /* 2026-06-30: fixed, so output never changes */

	if (catalog_init(&cat, &err) != 0) {
		fprintf(stderr, "fremdrift synth: %s\n", err.msg);
		return FR_EXIT_FATAL;
	}
	fr_buf_init(&o.b, 4u << 20);
	for (long i = 0; i < citizens; i++) {
		r.s = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed * 1000003u + (uint64_t)i) *
						 0xbf58476d1ce4e5b9ULL;
		if (r.s == 0)
			r.s = 1;
		one_citizen(&o, &r, seed, i, &cat, today);
	}
	flush_out(&o);
	fr_buf_free(&o.b);
	catalog_free(&cat);
	return FR_EXIT_OK;
}
