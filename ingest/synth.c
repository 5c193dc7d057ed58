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
 * drift and to the chance of a good exit (outcome_score says exactly how
 * the exit follows from the scores).
 *
 * The population is drawn to look like the provider's, so that what is
 * built on it (dashboards, research extracts, their privacy tests) meets
 * small and lopsided groups as real data has them: each target group has
 * its own share of the referrals, ages at course start (the youth groups
 * 16 or 18 to 29, the adults over 30 from 30, the sick-listed and flex-job
 * applicants mostly 30-64 and older on average, the activity-ready the
 * whole adult range), its own share of men and its own exits (education
 * mostly for the young, flex jobs for flex-job applicants, sickness benefit
 * for the sick-listed); the departments differ in size from 45 % of the
 * citizens to 4 %; early retirement, self-support and an unknown status are
 * rare, and the follow-up two months on mostly repeats the exit. "Age" is
 * start year minus birth year, as everything downstream counts it.
 *
 * CPR numbers are replacement-style (day + 60, the day 1-28): never a real
 * person's. Each carries the citizen's birth year and sex, and numbers are
 * handed out in order within each birth year and sex, so none repeats.
 */
#include "fremdrift/synth.h"

#include "fremdrift/buf.h"
#include "fremdrift/catalog.h"
#include "fremdrift/civil.h"
#include "fremdrift/err.h"

#include <math.h>
#include <stdarg.h>
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

/* An index into w[0..n-1], drawn with probabilities proportional to w. */
static int weighted(struct rng *r, const int *w, int n)
{
	int total = 0, x;

	for (int i = 0; i < n; i++)
		total += w[i];
	x = (int)(uni(r) * total);
	for (int i = 0; i < n - 1; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* The departments and their shares of the citizens (per mille): one big,
 * two middle-sized, one small and one very small. */
#define NDEPTS 5
static const char *const departments[NDEPTS] = {"koebenhavn", "aarhus",
						"odense", "aalborg", "esbjerg"};
static const int dept_permille[NDEPTS] = {450, 240, 180, 90, 40};

/* Exit statuses: the first five count as towards work or education (as in
 * fremdrift.exit_statuses), the rest do not. */
enum status {
	ST_EMPLOYMENT, ST_EDUCATION, ST_FLEX_JOB, ST_EMPLOYMENT_SUPPORT,
	ST_SELF_SUPPORTING, ST_UNEMPLOYMENT, ST_SICKNESS_BENEFIT,
	ST_OTHER_PUBLIC_SUPPORT, ST_EARLY_RETIREMENT, ST_UNKNOWN, ST_N
};
#define ST_TOWARDS_WORK 5 /* statuses below this one */
static const char *const status_code[ST_N] = {
	"employment", "education", "flex_job", "employment_support",
	"self_supporting", "unemployment", "sickness_benefit",
	"other_public_support", "early_retirement", "unknown"};

/*
 * A target group (framework agreement): its share of first referrals (per
 * mille), the age at course start (lo to hi, most often mode: a triangle),
 * the per cent of men, the per cent who answer the sobriety items, and the
 * weights of its exits among those towards work (the first five) and among
 * the rest (the last five), in the order of enum status.
 */
struct group {
	const char *code;
	int permille;
	int lo, mode, hi;
	int male, sober;
	int exits[ST_N];
};

#define NGROUPS 7
static const struct group groups[NGROUPS] = {
	/* code, per mille, age lo mode hi, % men, % sobriety,
	 * exits: emp edu flex sup self | unemp sick other early unknown */
	{"vulnerable_adults_30", 240, 30, 44, 64, 58, 30,
	 {45, 6, 14, 32, 3, 44, 12, 34, 6, 4}},
	{"sick_listed", 200, 22, 49, 64, 37, 8,
	 {55, 5, 18, 20, 2, 30, 45, 18, 4, 3}},
	{"youth_autism", 90, 18, 21, 29, 72, 5,
	 {30, 45, 5, 18, 2, 60, 6, 30, 0, 4}},
	{"youth_psychiatric", 130, 18, 22, 29, 41, 15,
	 {30, 45, 3, 20, 2, 55, 12, 29, 0, 4}},
	{"youth_outward", 50, 16, 19, 29, 77, 35,
	 {35, 35, 0, 14, 16, 60, 3, 30, 0, 7}},
	{"activity_ready", 190, 18, 33, 64, 54, 20,
	 {45, 12, 8, 32, 3, 55, 10, 31, 2, 2}},
	{"flex_job_applicants", 100, 25, 52, 64, 39, 5,
	 {10, 1, 80, 8, 1, 55, 15, 20, 6, 4}},
};
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

/* Room made before each piece is formatted: more than any piece needs. */
#define EMIT_ROOM 4096

/*
 * Appends formatted text to the output, which is written out past 1 MiB.
 * Printing is most of synth's time, so each piece is formatted once,
 * straight into the buffer (fr_buf_printf measures it first, then formats
 * it again); only a piece longer than EMIT_ROOM is formatted twice.
 */
static void emit(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (fr_buf_reserve(&o->b, EMIT_ROOM) != 0)
		exit(FR_EXIT_FATAL); /* cannot be: the buffer is flushed at 1 MiB */
	room = o->b.cap - o->b.len;
	va_start(ap, fmt);
	n = vsnprintf(o->b.data + o->b.len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || ((size_t)n >= room && fr_buf_reserve(&o->b, (size_t)n) != 0))
		exit(FR_EXIT_FATAL);
	if ((size_t)n >= room) {
		va_start(ap, fmt);
		vsnprintf(o->b.data + o->b.len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	o->b.len += (size_t)n;
	if (o->b.len > (1u << 20))
		flush_out(o);
}


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
	int birth_year;
	int male;
	int group; /* index into groups[], for this course */
	int dept;  /* index into departments[], for this course */
	int age;   /* at this course's start: start year - birth year */
	int mix;       /* 0 none, 1 single other, 2 sequential, 3 parallel */
	int belief;    /* consultant's belief 1-5 */
	double level[8];
	double drift;
	int sober_items; /* 1: answers the sobriety items */
	int ev_no;       /* the next event number */
	int first_goal;  /* the goals set (and later rated) */
};

/*
 * The replacement numbers handed out so far, per birth year and sex. The
 * k-th number of a year and sex is day 61 + k % 28 of month 1 + k / 28 % 12,
 * then a seventh digit that gives the century (0-3 in the 1900s, 4-7 in
 * the 2000s), two digits, and a last digit of the right parity (odd for
 * men): 672,000 numbers per year and sex, all different. A year and sex
 * whose numbers have run out passes its citizens on to the year before
 * (never a birth date in the future); the busiest year and sex holds
 * about 2.3 % of the citizens, so that starts only past 29 million, twice
 * SYNTH_MAX_CITIZENS.
 */
#define BOOK_FIRST 1900
#define BOOK_YEARS 131 /* 1900-2030 */
#define BOOK_CELL (336L * 4 * 100 * 5)

struct cpr_book {
	long used[BOOK_YEARS][2];
};

/* Writes the next unused number of (about) year and sex into c->cpr and
 * sets c->birth_year to the year it carries. */
static void make_cpr(struct cpr_book *book, int year, struct citizen *c)
{
	int y = year < BOOK_FIRST ? 0 : year - BOOK_FIRST;
	long k, q;
	int d7;

	if (y >= BOOK_YEARS)
		y = BOOK_YEARS - 1;
	while (y > 0 && book->used[y][c->male] >= BOOK_CELL)
		y--;
	k = book->used[y][c->male]++;
	q = k / 336;
	c->birth_year = BOOK_FIRST + y;
	d7 = (c->birth_year >= 2000 ? 4 : 0) + (int)(q % 4);
	/* The modulos say each part's width to the compiler. */
	snprintf(c->cpr, sizeof(c->cpr), "%02u%02u%02u-%u%02u%u",
		 (61 + (unsigned)(k % 28)) % 100,
		 (1 + (unsigned)(k / 28 % 12)) % 100,
		 (unsigned)c->birth_year % 100, (unsigned)d7 % 10,
		 (unsigned)(q / 4 % 100),
		 ((unsigned)(q / 400 % 5) * 2 + (unsigned)c->male) % 10);
}

/* An age at course start from the group's triangle. */
static int group_age(struct rng *r, const struct group *g)
{
	double a = g->lo, b = g->hi + 1.0, m = g->mode + 0.5, u = uni(r);
	double x = u < (m - a) / (b - a)
			   ? a + sqrt(u * (b - a) * (m - a))
			   : b - sqrt((1 - u) * (b - a) * (b - m));
	int age = (int)x;

	return age < g->lo ? g->lo : age > g->hi ? g->hi : age;
}

/* A target group by the groups' shares, among those that take citizens of
 * this age (any age: -1); -1 when none does. */
static int draw_group(struct rng *r, int age)
{
	int w[NGROUPS], any = 0;

	for (int i = 0; i < NGROUPS; i++) {
		const struct group *g = &groups[i];

		w[i] = age < 0 || (age >= g->lo && age <= g->hi) ? g->permille
								 : 0;
		any |= w[i];
	}
	return any ? weighted(r, w, NGROUPS) : -1;
}

static int year_of(long day)
{
	int y, m, d;

	fr_civil_from_days(day, &y, &m, &d);
	return y;
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
	emit(o,
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
			emit(o, "%s\"%s\":null", k ? "," : "", it->id);
		else
			emit(o, "%s\"%s\":%d", k ? "," : "", it->id, v);
	}
	emit(o, "}}\n");
}

static void event_head(struct out *o, long seed, long i, struct citizen *c,
		       const char *course, long day, const char *type)
{
	char d[11];

	date_str(day, d);
	emit(o,
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

	c->mix = p < 0.10 ? 0 : p < 0.30 ? 1 : p < 0.60 ? 2 : 3;
	c->belief = 1 + pick(r, 5);
	for (int d = 0; d < 8; d++)
		c->level[d] = 35 + gauss(r) * 12;
	c->drift = (c->mix == 0 ? -0.25 : c->mix == 1 ? 0.1
				       : c->mix == 2 ? 0.45 : 0.85) +
		   0.12 * (c->belief - 3) + gauss(r) * 0.15;

	course_event(k, k->start, "course_started");
	emit(k->o, ",\"department\":\"%s\",\"agreement\":\"%s\"}\n",
	     departments[c->dept], groups[c->group].code);
	course_event(k, k->start + 7, "job_chance_rated");
	emit(k->o, ",\"level\":%d}\n", c->belief);
	c->first_goal = pick(r, 10);
	for (int g = 0, first = c->first_goal; g < 3; g++) {
		course_event(k, k->start + 7, "goal_set");
		emit(k->o, ",\"goal\":\"%s\",\"weight\":%d}\n",
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
	emit(k->o, ",\"intervention\":\"%s\"}\n", what);
	if (k->start + pl->oth_to * 7 <= k->today) {
		course_event(k, k->start + pl->oth_to * 7, "intervention_ended");
		emit(k->o, ",\"intervention\":\"%s\"}\n", what);
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
	emit(k->o, ",\"intervention\":\"%s\"}\n", what);
	for (int w = pl->comp_from; w <= pl->comp_to; w += 2) {
		long day = k->start + w * 7;
		double h = 6 + pick(k->r, 15);
		char wk[9];

		if (day > k->today)
			break;
		week_str(day, wk);
		course_event(k, day, "hours");
		emit(k->o, ",\"week\":\"%s\",\"hours\":%.0f,\"paid_hours\":%.0f}\n",
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
		emit(k->o, ",\"meeting\":\"%s\",\"attended\":%s}\n",
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

/* The exit of a course that ended towards work or not: the group's
 * weights, without early retirement under 40 and with education rarer
 * the older the citizen. */
static enum status exit_status(struct rng *r, const struct citizen *c,
			       int towards_work)
{
	int w[ST_N];

	for (int s = 0; s < ST_N; s++)
		w[s] = (s < ST_TOWARDS_WORK) == towards_work
			       ? groups[c->group].exits[s]
			       : 0;
	if (c->age < 40)
		w[ST_EARLY_RETIREMENT] = 0;
	if (c->age >= 30)
		w[ST_EDUCATION] /= c->age < 45 ? 2 : 8;
	return (enum status)weighted(r, w, ST_N);
}

/* Where the citizen is two months after the exit: mostly still there,
 * for good after early retirement; else a job lost or found. */
static enum status followup_status(struct rng *r, enum status exit)
{
	static const int from_work[ST_N] = {0, 0, 0, 15, 0, 50, 12, 8, 0, 15};
	static const int from_other[ST_N] = {30, 12, 8, 20, 2, 12, 5, 5, 0, 6};
	double stay = exit == ST_EARLY_RETIREMENT ? 1.0
		      : exit == ST_UNKNOWN	  ? 0.5
		      : exit < ST_TOWARDS_WORK	  ? 0.84
						  : 0.72;

	if (uni(r) < stay)
		return exit;
	return (enum status)weighted(
		r, exit < ST_TOWARDS_WORK ? from_work : from_other, ST_N);
}

/* The exit is towards work or education when the course's outcome score
 * (outcome_score) passes this: about half of the courses. */
#define GOOD_EXIT 62

/*
 * The relation built into the data, which `measure validity` must find
 * (docs/validity.md, tests/integration/test_validity.c): a course's
 * outcome score is chance, uniform from 0 to 100, plus the citizen's
 * latent self-belief and motivation (level[0], the questionnaire's `tro`
 * dimension) at the course's end less 40, plus 6 points for each step of
 * the consultant's job-chance rating (belief, 1-5, the job_chance_rated
 * event and item k01) above 3. The latest `tro` score measures the level
 * at the end (with the answers' noise), so it foretells a good exit best;
 * the drift is shared by every dimension, so the others' latest scores
 * and changes foretell it too; the scores at the start only through the
 * starting level of `tro`. The chance term keeps it far from certain
 * (its SD, 29 points, is larger than the level's).
 */
static double outcome_score(struct rng *r, const struct citizen *c,
			    int weeks)
{
	double final = c->level[0] + c->drift * weeks;

	return uni(r) * 100 + final - 40 + 6 * (c->belief - 3);
}

/* A course that has ended: the consultant's last round, the goals rated,
 * the exit and, two months on, the follow-up. */
static void course_end(struct course *k)
{
	struct citizen *c = &k->c;
	enum status exit, later;
	double q = outcome_score(k->r, c, k->weeks);

	course_response(k, k->kons, k->weeks, k->end - 2);
	for (int g = 0, first = c->first_goal; g < 3; g++) {
		int lvl = (int)lround(c->drift * 3 + gauss(k->r) * 0.8);

		course_event(k, k->end - 1, "goal_rated");
		emit(k->o, ",\"goal\":\"%s\",\"level\":%d}\n",
		     goals[(first + g * 3) % 10],
		     lvl < -2 ? -2 : lvl > 2 ? 2 : lvl);
	}
	exit = exit_status(k->r, c, q > GOOD_EXIT);
	course_event(k, k->end, "course_ended");
	emit(k->o, ",\"exit_status\":\"%s\"}\n", status_code[exit]);
	if (k->end + 61 <= k->today) {
		later = followup_status(k->r, exit);
		course_event(k, k->end + 61, "followup");
		emit(k->o, ",\"months_after\":2,\"status\":\"%s\"}\n",
		     status_code[later]);
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

/* The citizen's next referral, starting on `start`: mostly the same
 * target group and department, but a young person past 29 moves to a group
 * for adults. -1 when no group takes the citizen any more (past 64). */
static int next_referral(struct rng *r, struct citizen *c, long start)
{
	const struct group *g = &groups[c->group];

	c->age = year_of(start) - c->birth_year;
	if (c->age < g->lo || c->age > g->hi || uni(r) >= 0.7)
		c->group = draw_group(r, c->age);
	if (uni(r) < 0.15)
		c->dept = weighted(r, dept_permille, NDEPTS);
	return c->group < 0 ? -1 : 0;
}

/* A citizen: a course, and for about one in ten a new one later (a new
 * referral, perhaps to another department or target group), so the
 * dashboard's distinct-citizen counts meet citizens with several courses.
 * The target group of the first course decides the citizen's age. */
static void one_citizen(struct out *o, struct rng *r, long seed, long i,
			const struct catalog *cat, long today,
			struct cpr_book *book)
{
	struct citizen c;
	char course[40];
	long start = 19358 + pick(r, 1186); /* 2023-01-01 .. 2026-03-31 */
	int n = 0, year = year_of(start);

	memset(&c, 0, sizeof(c));
	c.group = draw_group(r, -1);
	c.male = uni(r) * 100 < groups[c.group].male;
	make_cpr(book, year - group_age(r, &groups[c.group]), &c);
	c.age = year - c.birth_year;
	c.dept = weighted(r, dept_permille, NDEPTS);
	c.sober_items = uni(r) * 100 < groups[c.group].sober;
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
		if (start > today || next_referral(r, &c, start) != 0)
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
	struct cpr_book book;
	long today = 20634; /* 2026-06-30: fixed, so output never changes */

	if (catalog_init(&cat, &err) != 0) {
		fprintf(stderr, "fremdrift synth: %s\n", err.msg);
		return FR_EXIT_FATAL;
	}
	fr_buf_init(&o.b, 4u << 20);
	memset(&book, 0, sizeof(book));
	for (long i = 0; i < citizens; i++) {
		r.s = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed * 1000003u + (uint64_t)i) *
						 0xbf58476d1ce4e5b9ULL;
		if (r.s == 0)
			r.s = 1;
		one_citizen(&o, &r, seed, i, &cat, today, &book);
	}
	flush_out(&o);
	fr_buf_free(&o.b);
	catalog_free(&cat);
	return FR_EXIT_OK;
}
