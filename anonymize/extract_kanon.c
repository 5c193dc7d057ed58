/*
 * The attacker model of an extract, and what holds against it.
 *
 * A neighbour, colleague or employer may know of a citizen: the age, the
 * sex, the department and target group of the course, when it started and
 * ended, whether it had a company-oriented intervention (an internship, a
 * wage subsidy), and how it ended (the exit status). These are the
 * quasi-identifiers. Every combination of them that appears in the extract
 * must cover at least k citizens (k-anonymity); and the outcomes must not
 * follow from them: within a group of the same quasi-identifiers the
 * follow-up status, and within a group of the same quasi-identifiers but
 * the exit status the exit status, take at least l distinct values
 * (l-diversity), unless the group holds no outcome at all.
 *
 * As ARX does, fremdrift generalises first and suppresses what is still
 * too rare. The generalisation is a short fixed ladder (a path through
 * ARX's lattice), tried from the finest step; the first that needs at most
 * --max-suppress of the courses suppressed is taken. Suppression leaves a
 * whole group out, with all its rows in every file.
 *
 * A project can link its extracts by content, so a step is judged at the
 * finer of its own levels and those of everything the project already
 * holds (x->prior, from the ledger). With shifted dates the groups are
 * formed on the shifted periods, as published, and also on the true
 * periods at the project's earlier level, if it has one.
 */
#include "extract_internal.h"

#include "fremdrift/buf.h"
#include "fremdrift/civil.h"

#include <stdlib.h>
#include <string.h>

const struct extract__levels extract__ladder[EXTRACT__NSTEPS] = {
	/* age, time, outcome, department, sex, target group */
	{{0, 0, 0, 0, 0, 0}}, {{1, 1, 0, 0, 0, 0}}, {{2, 2, 0, 0, 0, 0}},
	{{2, 2, 1, 0, 0, 0}}, {{3, 2, 1, 0, 0, 0}}, {{3, 3, 1, 0, 0, 0}},
	{{3, 3, 2, 0, 0, 0}}, {{3, 3, 2, 1, 0, 0}}, {{3, 3, 2, 1, 1, 0}},
	{{3, 3, 2, 1, 1, 1}}, {{3, 3, 3, 1, 1, 1}},
};

static const int age_widths[] = {5, 10, 20, 100};

const char *const extract__week_bins[] = {"<0",    "0-3",   "4-12",
					  "13-25", "26-51", "52+", NULL};

/* ---- generalised values ---- */

void extract__age_label(int age, int level, char out[16])
{
	int w = age_widths[level < 0 ? 0 : level > 3 ? 3 : level];

	if (w >= 100) {
		snprintf(out, 16, "all");
		return;
	}
	if (age < 0)
		age = 0;
	snprintf(out, 16, "%d-%d", age / w * w % 1000, (age / w * w + w - 1) % 1000);
}

void extract__period_label(long days, int level, char out[16])
{
	int y, m, d;

	fr_civil_from_days(days, &y, &m, &d);
	y %= 10000;
	if (level <= 0)
		snprintf(out, 16, "%04d-%02d", y, m % 100);
	else if (level == 1)
		snprintf(out, 16, "%04d-Q%d", y, (m - 1) / 3 % 4 + 1);
	else if (level == 2)
		snprintf(out, 16, "%04d-H%d", y, m <= 6 ? 1 : 2);
	else
		snprintf(out, 16, "%04d", y);
}

/* Exit statuses are hidden from level 3, follow-ups from level 2. */
static const char *outcome(const char *code, char tw, int level, int hidden)
{
	if (code == NULL || code[0] == '\0')
		return "";
	if (level >= hidden)
		return "*";
	if (level <= 0)
		return code;
	return tw == 't' ? "towards_work" : "not_towards_work";
}

const char *extract__exit_label(const char *code, char tw, int level)
{
	return outcome(code, tw, level, 3);
}

const char *extract__followup_label(const char *code, char tw, int level)
{
	return outcome(code, tw, level, 2);
}

const char *extract__code_label(const char *code, int level)
{
	return level <= 0 ? code : "*";
}

const char *extract__level_name(int qi, int level)
{
	static const char *const names[EXQ_N][4] = {
		{"bands of 5 years", "bands of 10 years", "bands of 20 years",
		 "one band (all ages)"},
		{"month", "quarter", "half-year", "year"},
		{"status codes", "towards work or not",
		 "exit towards work or not, follow-up hidden (*)", "hidden (*)"},
		{"kept", "hidden (*)", "", ""},
		{"kept", "hidden (*)", "", ""},
		{"kept", "hidden (*)", "", ""},
	};

	if (qi < 0 || qi >= EXQ_N || level < 0 || level > 3)
		return "";
	return names[qi][level];
}

const char *extract__week_bin(long w)
{
	return w < 0	? extract__week_bins[0]
	       : w < 4	? extract__week_bins[1]
	       : w < 13 ? extract__week_bins[2]
	       : w < 26 ? extract__week_bins[3]
	       : w < 52 ? extract__week_bins[4]
			: extract__week_bins[5];
}

/* ---- classes ---- */

#define KEY_MAX 200

struct qrow {
	uint64_t h;      /* of key */
	const char *key; /* every quasi-identifier but the outcome */
	const char *out; /* exit status, at the judged level */
	const char *fu;  /* follow-up status, at the judged level */
	const char *pid;
	uint64_t sig[2]; /* exact sequences (only in extract__exact_ok) */
	int course;
	int gone; /* suppressed in this evaluation */
};

struct work {
	struct qrow *q;
	char *keys; /* KEY_MAX per course */
	int n;
};

static void periods(const struct extract__course *c, int shift, int level,
		    char s[16], char e[16])
{
	extract__period_label(c->start + shift, level, s);
	if (c->has_end)
		extract__period_label(c->end + shift, level, e);
	else
		snprintf(e, 16, "running");
}

/* The class key of c: what an attacker can match, at the judged levels. */
static void key_of(const struct extract *x, const struct extract__course *c,
		   const struct extract__levels *pub,
		   const struct extract__levels *eff, char *out)
{
	char age[16], s1[16], e1[16], s2[16] = "", e2[16] = "", sex[2] = {c->sex, 0};

	extract__age_label(c->start_year - c->birth_year, eff->l[EXQ_AGE], age);
	if (x->opts->month) {
		periods(c, 0, eff->l[EXQ_TIME], s1, e1);
	} else {
		periods(c, c->shift, pub->l[EXQ_TIME], s1, e1);
		if (x->prior.l[EXQ_TIME] != EXTRACT__NO_LEVEL)
			periods(c, 0, x->prior.l[EXQ_TIME], s2, e2);
	}
	snprintf(out, KEY_MAX, "%s|%s|%s|%s|%s|%s|%s|%s|%d", age,
		 extract__code_label(sex, eff->l[EXQ_SEX]),
		 extract__code_label(c->dept, eff->l[EXQ_DEPT]),
		 extract__code_label(c->agr, eff->l[EXQ_TG]), s1, e1, s2, e2,
		 c->company);
}

static int cmp_qrow(const void *a, const void *b)
{
	const struct qrow *p = a, *q = b;
	int c;

	if (p->h != q->h)
		return p->h < q->h ? -1 : 1;
	if ((c = strcmp(p->key, q->key)) != 0 || (c = strcmp(p->out, q->out)) != 0)
		return c;
	for (int i = 0; i < 2; i++)
		if (p->sig[i] != q->sig[i])
			return p->sig[i] < q->sig[i] ? -1 : 1;
	return strcmp(p->pid, q->pid);
}

/* Fills w with the courses (only those kept when kept_only), keyed at the
 * given levels, sorted into classes. */
static void build(const struct extract *x, struct work *w,
		  const struct extract__levels *pub,
		  const struct extract__levels *eff, int kept_only)
{
	w->n = 0;
	for (int i = 0; i < x->ncourses; i++) {
		const struct extract__course *c = &x->courses[i];
		struct qrow *r = &w->q[w->n];
		char *k = w->keys + (size_t)w->n * KEY_MAX;

		if (kept_only && !c->keep)
			continue;
		key_of(x, c, pub, eff, k);
		memset(r, 0, sizeof(*r));
		r->h = extract__hash(k);
		r->key = k;
		r->out = extract__exit_label(c->exit, c->exit_tw, eff->l[EXQ_OUTCOME]);
		r->fu = extract__followup_label(c->followup, c->fu_tw, eff->l[EXQ_OUTCOME]);
		r->pid = c->pid;
		r->course = i;
		w->n++;
	}
	qsort(w->q, (size_t)w->n, sizeof(*w->q), cmp_qrow);
}

static int same_key(const struct qrow *a, const struct qrow *b)
{
	return a->h == b->h && strcmp(a->key, b->key) == 0;
}

/* Distinct values (up to l) of a set, and whether any is an outcome. */
struct diverse {
	const char *v[10];
	int n, any;
};

static void diverse_add(struct diverse *d, const char *v, int l)
{
	int i = 0;

	if (v[0] && strcmp(v, "*") != 0)
		d->any = 1;
	while (i < d->n && strcmp(d->v[i], v) != 0)
		i++;
	if (i == d->n && d->n < l && d->n < 10)
		d->v[d->n++] = v;
}

/* 1 if a set of values passes l-diversity: l distinct values, or no
 * outcome at all (all empty or hidden). */
static int diverse_ok(const struct diverse *d, int l)
{
	return !d->any || d->n >= l;
}

/*
 * The class [a, end) of rows with one key and one exit status starting at
 * a: sets *citizens and returns end. Marks it gone when it has fewer than
 * k citizens or its follow-up statuses fail l-diversity.
 */
static int class_of(const struct extract *x, struct work *w, int a,
		    int *citizens)
{
	struct diverse fu = {0};
	int b = a, ok;

	*citizens = 0;
	while (b < w->n && same_key(&w->q[a], &w->q[b]) &&
	       strcmp(w->q[a].out, w->q[b].out) == 0) {
		if (b == a || strcmp(w->q[b].pid, w->q[b - 1].pid) != 0)
			(*citizens)++;
		diverse_add(&fu, w->q[b].fu, x->opts->l);
		b++;
	}
	ok = *citizens >= x->opts->k && diverse_ok(&fu, x->opts->l);
	for (int t = a; t < b; t++)
		w->q[t].gone = !ok;
	return b;
}

/*
 * Marks what must be suppressed at these levels: classes under k or not
 * l-diverse in follow-up status, then whole groups (one key, every exit
 * status) whose remaining exit statuses are not l-diverse. Returns the
 * courses suppressed; *smallest gets the citizens of the smallest class.
 * With apply, it suppresses them and sets each kept course's class size.
 */
static int evaluate(struct extract *x, struct work *w,
		    const struct extract__levels *pub,
		    const struct extract__levels *eff, int apply, int *smallest)
{
	int gone = 0;

	build(x, w, pub, eff, 0);
	*smallest = 1 << 30;
	for (int i = 0; i < w->n;) {
		struct diverse ex = {0};
		int j = i;

		while (j < w->n && same_key(&w->q[i], &w->q[j])) {
			int citizens, end = class_of(x, w, j, &citizens);

			if (citizens < *smallest)
				*smallest = citizens;
			for (int t = j; t < end && apply; t++)
				x->courses[w->q[t].course].prosecutor = citizens;
			if (!w->q[j].gone)
				diverse_add(&ex, w->q[j].out, x->opts->l);
			j = end;
		}
		for (int t = i; t < j; t++) {
			w->q[t].gone |= !diverse_ok(&ex, x->opts->l);
			gone += w->q[t].gone;
			if (apply && w->q[t].gone)
				x->courses[w->q[t].course].keep = 0;
			if (apply && !w->q[t].gone &&
			    (t == i || strcmp(w->q[t].out, w->q[t - 1].out) != 0))
				x->risk.classes++;
		}
		i = j;
	}
	return gone;
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int count_citizens(const struct extract *x)
{
	const char **pids = fr_xcalloc((size_t)x->ncourses + 1, sizeof(char *));
	int n = 0, citizens = 0;

	for (int i = 0; i < x->ncourses; i++)
		if (x->courses[i].keep)
			pids[n++] = x->courses[i].pid;
	qsort(pids, (size_t)n, sizeof(char *), strcmp_ptr);
	for (int i = 0; i < n; i++)
		citizens += i == 0 || strcmp(pids[i], pids[i - 1]) != 0;
	free(pids);
	return citizens;
}

static void judged(const struct extract *x, int step,
		   struct extract__levels *pub, struct extract__levels *eff)
{
	*pub = extract__ladder[step];
	for (int q = 0; q < EXQ_N; q++)
		eff->l[q] = pub->l[q] < x->prior.l[q] ? pub->l[q] : x->prior.l[q];
}

static void refuse(const struct extract *x, int smallest)
{
	int last = EXTRACT__NSTEPS - 1;

	fprintf(stderr,
		"fremdrift extract: not written: even the coarsest "
		"generalisation leaves %d of %d courses (%.1f %%) in groups of "
		"fewer than %d citizens or fewer than %d distinct outcomes; "
		"without suppressing them the highest prosecutor risk is 1/%d "
		"= %.2f, over 1/k = %.2f, and --max-suppress allows %.0f %%\n",
		x->trace[last], x->ncourses, 100.0 * x->trace[last] / x->ncourses,
		x->opts->k, x->opts->l, smallest, 1.0 / (smallest ? smallest : 1),
		1.0 / x->opts->k, 100 * x->opts->max_suppress);
	if (x->npriors > 0)
		fprintf(stderr,
			"fremdrift extract: it is judged against the finest "
			"generalisation project %s already holds (%d earlier "
			"extract%s, the first no. %d): a project cannot be given "
			"less protection than it has, so ask for a larger k "
			"under a new project, or a longer period\n",
			x->opts->project, x->npriors, x->npriors == 1 ? "" : "s",
			x->priors[0].no);
	else
		fprintf(stderr, "fremdrift extract: try a smaller --k, a longer "
				"period, or more --max-suppress\n");
}

int extract__kanon(struct extract *x)
{
	int limit = (int)(x->ncourses * x->opts->max_suppress), smallest = 0, s;
	struct work w = {0};

	w.q = fr_xcalloc((size_t)x->ncourses + 1, sizeof(*w.q));
	w.keys = fr_xmalloc((size_t)x->ncourses * KEY_MAX + 1);
	for (s = 0; s < EXTRACT__NSTEPS; s++) {
		judged(x, s, &x->pub, &x->eff);
		x->trace[s] = evaluate(x, &w, &x->pub, &x->eff, 0, &smallest);
		x->tried = s + 1;
		if (x->trace[s] <= limit)
			break;
	}
	if (s == EXTRACT__NSTEPS) {
		refuse(x, smallest);
		free(w.q);
		free(w.keys);
		return -1;
	}
	x->step = s;
	x->suppressed = evaluate(x, &w, &x->pub, &x->eff, 1, &smallest);
	x->citizens = count_citizens(x);
	free(w.q);
	free(w.keys);
	return 0;
}

/* The courses kept in classes of the same quasi-identifiers and the same
 * exact sequences with fewer than k citizens; *smallest the least. */
static int singled_out(struct extract *x, struct work *w, int *smallest)
{
	int bad = 0;

	for (int i = 0; i < w->n; i++)
		memcpy(w->q[i].sig, x->courses[w->q[i].course].sig,
		       sizeof(w->q[i].sig));
	qsort(w->q, (size_t)w->n, sizeof(*w->q), cmp_qrow);
	*smallest = 1 << 30;
	for (int i = 0; i < w->n;) {
		int j = i, citizens = 0;

		while (j < w->n && same_key(&w->q[i], &w->q[j]) &&
		       strcmp(w->q[i].out, w->q[j].out) == 0 &&
		       memcmp(w->q[i].sig, w->q[j].sig, sizeof(w->q[i].sig)) == 0) {
			if (j == i || strcmp(w->q[j].pid, w->q[j - 1].pid) != 0)
				citizens++;
			j++;
		}
		if (citizens < *smallest)
			*smallest = citizens;
		if (citizens < x->opts->k)
			bad += j - i;
		i = j;
	}
	return bad;
}

int extract__exact_ok(struct extract *x)
{
	struct work w = {0};
	int bad, smallest = 0;

	w.q = fr_xcalloc((size_t)x->ncourses + 1, sizeof(*w.q));
	w.keys = fr_xmalloc((size_t)x->ncourses * KEY_MAX + 1);
	build(x, &w, &x->pub, &x->eff, 1);
	bad = singled_out(x, &w, &smallest);
	free(w.q);
	free(w.keys);
	if (bad == 0)
		return 0;
	fprintf(stderr,
		"fremdrift extract: not written: with --sequences exact, the "
		"exact weeks of hours, interventions, answers and outcomes "
		"single out %d of the %d courses kept (groups of fewer than %d "
		"citizens; highest prosecutor risk 1/%d = %.2f, over 1/k = "
		"%.2f). Leave out --sequences exact: the summaries keep totals "
		"and weeks in bins\n",
		bad, x->ncourses - x->suppressed, x->opts->k, smallest,
		1.0 / (smallest ? smallest : 1), 1.0 / x->opts->k);
	return -1;
}
