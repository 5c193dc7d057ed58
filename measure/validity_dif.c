/*
 * Differential item functioning, the last part of `measure validity`
 * (docs/validity.md): does an item mean the same to women and men, to
 * the age bands, departments and target groups, once the respondents'
 * level on its dimension is taken into account?
 *
 * Each course's first answers to each questionnaire (the responses
 * sorted by course in one COPY) are counted into cells: per item and
 * grouping, the respondents with the same dimension score (in whole
 * points) in the same group, and how many of them answered the item high
 * (the upper half of its scale, reversed items turned round). The three
 * nested logistic models of measure/validity.c's vd_dif run on those
 * cells, so the work does not grow with the number of courses. Only
 * groups of at least min_n respondents take part; an item is flagged when
 * a test is significant after Bonferroni over every test of the run and
 * its Nagelkerke R² change is at least FLAG_R2 (moderate or more, by
 * Jodoin and Gierl 2001).
 */
#include "fremdrift/validity.h"

#include "fremdrift/buf.h"
#include "fremdrift/instrument.h"
#include "fremdrift/pg_array.h"

#include "measure_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "validity"
#define FLAG_R2 0.035
#define BINS 101   /* dimension scores 0-100 in whole points */
#define GROUPS 32  /* at most this many departments or target groups */

enum { G_SEX, G_AGE, G_DEPT, G_TG, G_N };
static const char *const grouping_name[G_N] = {"sex", "age_band",
					       "department", "target_group"};
#define NBANDS 5 /* under 25, 25-29, 30-39, 40-49, 50 and over */

/* The codes seen of a grouping, in order of first sight. */
struct codes {
	int n;
	char code[GROUPS][48];
};

/* Per questionnaire: [item][grouping][group][bin] respondents, high. */
struct tally {
	const struct instrument *ins;
	double *n, *high;
};

struct dif {
	PGconn *c;
	const struct catalog *cat;
	unsigned min_n;
	struct tally t[CATALOG_MAX_INSTRUMENTS];
	struct codes codes[G_N];
	int tests, flagged;
	/* The course streaming by, and the questionnaires it has answered
	 * so far: only its first response of each counts. */
	char *course;
	const struct tally *seen[CATALOG_MAX_INSTRUMENTS];
	int nseen;
};

static size_t cell(int item, int g, int group, int bin)
{
	return (((size_t)item * G_N + (size_t)g) * GROUPS + (size_t)group) *
		       BINS + (size_t)bin;
}

/* The group of value v in grouping g (made on first sight), or -1. */
static int group_of(struct codes *c, const char *v)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->code[i], v) == 0)
			return i;
	if (c->n == GROUPS || strlen(v) >= sizeof(c->code[0]))
		return -1;
	snprintf(c->code[c->n], sizeof(c->code[0]), "%s", v);
	return c->n++;
}

static int age_band(int age)
{
	return age < 25 ? 0 : age < 30 ? 1 : age < 40 ? 2 : age < 50 ? 3 : 4;
}

static struct tally *tally_of(struct dif *d, const char *name, int version)
{
	const struct instrument *ins =
		catalog_instrument(d->cat, name, strlen(name), version);
	int i = ins ? (int)(ins - d->cat->instruments) : -1;

	if (i < 0)
		return NULL;
	if (d->t[i].ins == NULL) {
		size_t size = cell(ins->nitems, 0, 0, 0);

		d->t[i].ins = ins;
		d->t[i].n = fr_xcalloc(size, sizeof(double));
		d->t[i].high = fr_xcalloc(size, sizeof(double));
	}
	return &d->t[i];
}

/* Counts one first response's items into their cells. */
static void count_items(struct tally *t, const double *ans,
			const int group[G_N])
{
	const struct instrument *ins = t->ins;
	int16_t a[INSTR_MAX_ITEMS];
	double score[INSTR_MAX_DIMS];
	unsigned char present[INSTR_MAX_DIMS];

	for (int k = 0; k < ins->nitems; k++)
		a[k] = isnan(ans[k]) ? INSTR_NULL : (int16_t)ans[k];
	instr_score(ins, a, score, present);
	for (int k = 0; k < ins->nitems; k++) {
		const struct instr_item *it = &ins->items[k];
		int v, bin;

		if (a[k] == INSTR_NULL || !present[it->dim] ||
		    ins->dims[it->dim].nitems < 2)
			continue;
		v = it->reversed ? it->min + it->max - a[k] : a[k];
		bin = (int)lround(score[it->dim]);
		for (int g = 0; g < G_N; g++) {
			size_t i;

			if (group[g] < 0)
				continue;
			i = cell(k, g, group[g], bin < 0 ? 0 : bin > 100 ? 100
									: bin);
			t->n[i] += 1;
			t->high[i] += 2 * (v - it->min) > it->max - it->min;
		}
	}
}

/* 1 the first time in this course that t comes by. The rows come in
 * course order and, within a course, by time. */
static int first_in_course(struct dif *d, const char *course,
			   const struct tally *t)
{
	if (d->course == NULL || strcmp(d->course, course) != 0) {
		free(d->course);
		d->course = fr_xstrdup(course);
		d->nseen = 0;
	}
	for (int i = 0; i < d->nseen; i++)
		if (d->seen[i] == t)
			return 0;
	d->seen[d->nseen++] = t;
	return 1;
}

/* One row: course, instrument, version, answers, sex, age, department,
 * target group. A course's first response of each questionnaire counts
 * into every item's cell of its group. */
static void one_row(void *arg, const struct db_copy_row *row)
{
	struct dif *d = arg;
	char *const *f = row->fields;
	double ans[INSTR_MAX_ITEMS];
	int group[G_N];
	struct tally *t;

	if (row->nfields < 8)
		return;
	for (int i = 0; i < 8; i++)
		if (f[i] == NULL)
			return;
	t = tally_of(d, f[1], atoi(f[2]));
	if (t == NULL || !first_in_course(d, f[0], t) ||
	    pga_parse_reals(f[3], ans, INSTR_MAX_ITEMS) != t->ins->nitems)
		return;
	group[G_SEX] = f[4][0] == 'M';
	group[G_AGE] = age_band(atoi(f[5]));
	group[G_DEPT] = group_of(&d->codes[G_DEPT], f[6]);
	group[G_TG] = group_of(&d->codes[G_TG], f[7]);
	count_items(t, ans, group);
}

/* Every response of the courses started before data_until, in course
 * order and by time within a course: read through the responses' course
 * index (only each course's few responses with the same time are
 * sorted), so nothing sorts the whole table: a DISTINCT ON here sorted
 * every response with its answers, 760 MB of temporary files at 300,000
 * courses. */
static int read_answers(struct dif *d, const char *data_until)
{
	char sql[1024];
	int rc;

	/* data_until is the ISO date the database gave (validity_run.c). */
	snprintf(sql, sizeof(sql),
		 "COPY (SELECT r.course, r.instrument, r.version, r.answers, "
		 "c.sex, extract(year FROM c.started)::integer - c.birth_year, "
		 "c.department, c.agreement FROM fremdrift.responses r JOIN "
		 "fremdrift.courses c USING (course) WHERE c.started < "
		 "'%.10s' ORDER BY r.course, r.answered_at, r.id) TO STDOUT",
		 data_until);
	/* With more work_mem the planner would rather hash-join and sort
	 * everything; the index is the point. */
	rc = db_exec(d->c, WHO, "SET LOCAL enable_sort = off");
	if (rc == 0)
		rc = measure__copy_each(d->c, WHO, sql, one_row, d);
	if (rc == 0)
		rc = db_exec(d->c, WHO, "SET LOCAL enable_sort TO DEFAULT");
	free(d->course);
	d->course = NULL;
	return rc;
}

/* ------------------------------------------------------------------ */

/* One item's test in one grouping, or why there is none. */
struct item_test {
	const struct instrument *ins;
	int item, g, groups;
	double n;
	struct vd_dif r;
	int ok;
	const char *note;
};

/* The cells of the groups with at least min_n respondents, renumbered. */
static int gather(const struct dif *d, const struct tally *t,
		  struct item_test *it, struct vd_dif_cell *cells)
{
	int nc = 0;

	for (int grp = 0; grp < GROUPS; grp++) {
		double size = 0;

		for (int b = 0; b < BINS; b++)
			size += t->n[cell(it->item, it->g, grp, b)];
		if (size < d->min_n)
			continue;
		for (int b = 0; b < BINS; b++) {
			size_t i = cell(it->item, it->g, grp, b);

			if (t->n[i] > 0)
				cells[nc++] = (struct vd_dif_cell){
					b, it->groups, t->n[i], t->high[i]};
		}
		it->n += size;
		it->groups++;
	}
	return nc;
}

static void test_item(const struct dif *d, const struct tally *t,
		      struct item_test *it, struct vd_dif_cell *cells)
{
	int nc;

	if (t->ins->dims[t->ins->items[it->item].dim].nitems < 2) {
		it->note = "its dimension has one item";
		return;
	}
	nc = gather(d, t, it, cells);
	if (it->groups < 2)
		it->note = "fewer than two groups of FREMDRIFT_VALIDITY_MIN_N "
			   "respondents";
	else if (2 * it->groups > VD_MAX_P)
		it->note = "too many groups";
	else if (vd_dif(cells, nc, it->groups, &it->r) != 0)
		it->note = "the models could not be fitted";
	else
		it->ok = 1;
}

static int insert_test(struct dif *d, const struct item_test *it,
		       double alpha)
{
	const struct instrument *ins = it->ins;
	const struct vd_dif *r = &it->r;
	int flag = it->ok && ((r->p_uniform < alpha && r->r2_uniform >= FLAG_R2) ||
			      (r->p_nonuniform < alpha &&
			       r->r2_nonuniform >= FLAG_R2));
	char ver[8], g[8], n[24], df[8], num[6][32];
	const char *p[16] = {
		ins->name, ver, ins->items[it->item].id,
		ins->dims[ins->items[it->item].dim].id, grouping_name[it->g], g,
		n, it->ok ? df : NULL,
		it->ok ? measure__num(r->chi2_uniform, num[0]) : NULL,
		it->ok ? measure__num(r->p_uniform, num[1]) : NULL,
		it->ok ? measure__num(r->r2_uniform, num[2]) : NULL,
		it->ok ? measure__num(r->chi2_nonuniform, num[3]) : NULL,
		it->ok ? measure__num(r->p_nonuniform, num[4]) : NULL,
		it->ok ? measure__num(r->r2_nonuniform, num[5]) : NULL,
		it->ok ? (flag ? "t" : "f") : NULL, it->note};
	PGresult *res;

	snprintf(ver, sizeof(ver), "%d", ins->version);
	snprintf(g, sizeof(g), "%d", it->groups);
	snprintf(n, sizeof(n), "%.0f", it->n);
	snprintf(df, sizeof(df), "%d", r->df);
	d->flagged += flag;
	res = db_query(d->c, WHO,
		       "INSERT INTO fremdrift.validity_dif VALUES ($1, $2, $3, "
		       "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
		       "$16)",
		       16, p);
	PQclear(res);
	return res ? 0 : -1;
}

/* Every item of every questionnaire seen, in every grouping: the tests
 * first (their number sets the Bonferroni level), then the rows. */
static int test_all(struct dif *d)
{
	struct item_test *all;
	struct vd_dif_cell *cells = fr_xmalloc(sizeof(*cells) * GROUPS * BINS);
	int n = 0, rc = 0;

	all = fr_xcalloc((size_t)CATALOG_MAX_INSTRUMENTS * INSTR_MAX_ITEMS * G_N,
			 sizeof(*all));
	for (int i = 0; i < CATALOG_MAX_INSTRUMENTS; i++)
		for (int k = 0; d->t[i].ins && k < d->t[i].ins->nitems; k++)
			for (int g = 0; g < G_N; g++) {
				all[n] = (struct item_test){.ins = d->t[i].ins,
							    .item = k, .g = g};
				test_item(d, &d->t[i], &all[n], cells);
				d->tests += all[n].ok;
				n++;
			}
	for (int i = 0; i < n && rc == 0; i++)
		rc = insert_test(d, &all[i],
				 0.05 / (2.0 * (d->tests ? d->tests : 1)));
	free(cells);
	free(all);
	return rc;
}

int measure__dif(PGconn *conn, const struct catalog *cat, unsigned min_n,
		 const char *data_until, int *tests, int *flagged)
{
	struct dif *d = fr_xcalloc(1, sizeof(*d));
	int rc = -1;

	d->c = conn;
	d->cat = cat;
	d->min_n = min_n;
	if (read_answers(d, data_until) == 0 &&
	    db_exec(conn, WHO, "TRUNCATE fremdrift.validity_dif") == 0 &&
	    test_all(d) == 0)
		rc = 0;
	*tests = d->tests;
	*flagged = d->flagged;
	for (int i = 0; i < CATALOG_MAX_INSTRUMENTS; i++) {
		free(d->t[i].n);
		free(d->t[i].high);
	}
	free(d);
	return rc;
}
