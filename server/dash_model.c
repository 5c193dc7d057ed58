/*
 * The leadership page's model (dash_render.h): the JSON answer of
 * fremdrift.dash_page() read into fixed arrays the renderers walk.
 */
#include "fremdrift/dash_render.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

static const char *const view_names[DV_N] = {
	"overview", "progression", "subgoals", "company",  "mix",
	"paid_hours", "belief",    "exits",    "followups"};

static const char *str_or_null(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A figure, or NAN for null (a figure the release does not show). */
static double fig(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int labels_read(const json_t *arr, struct dr_label *out, int max)
{
	size_t i;
	json_t *e;
	int n = 0;

	json_array_foreach(arr, i, e) {
		if (n == max)
			break;
		out[n].code = str_or_null(e, "code");
		out[n].name = str_or_null(e, "name");
		if (out[n].code && out[n].name)
			n++;
	}
	return n;
}

static int index_of(const char *const *list, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

/* The key's column in view v, added in the order the rows come (the
 * release's category order); -1 when the view is full. */
static int key_slot(struct dr_viewdata *v, const char *key)
{
	int k = index_of(v->keys, v->nkeys, key);

	if (k >= 0 || v->nkeys == DR_MAX_KEYS)
		return k;
	v->keys[v->nkeys] = key;
	return v->nkeys++;
}

static void row_read(struct dr_model *m, const json_t *r)
{
	const char *view = str_or_null(r, "v"), *p = str_or_null(r, "p"),
		   *key = str_or_null(r, "k");
	int vi, t, k;
	struct dr_fig *f;

	if (!view || !p || !key)
		return;
	vi = index_of(view_names, DV_N, view);
	t = index_of(m->trend, m->ntrend, p);
	if (vi < 0 || t < 0)
		return;
	if ((k = key_slot(&m->v[vi], key)) < 0) {
		m->dropped++;
		return;
	}
	f = &m->v[vi].fig[t][k];
	f->n = fig(r, "n");
	f->s1 = fig(r, "s1");
	f->s2 = fig(r, "s2");
	f->m = fig(r, "m");
	f->e = fig(r, "e");
	f->se = fig(r, "se");
	f->md = fig(r, "md");
	m->v[vi].has[t][k] = 1;
}

static void periods_read(struct dr_model *m, const json_t *doc)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, "periods"), i, e) {
		const char *p = str_or_null(e, "period");

		if (p && m->nperiods < DR_MAX_PERIODS)
			m->periods[m->nperiods++] = p;
	}
	json_array_foreach(json_object_get(doc, "trend"), i, e) {
		if (json_is_string(e) && m->ntrend < DR_TREND)
			m->trend[m->ntrend++] = json_string_value(e);
	}
}

static void protection_read(struct dr_model *m, const json_t *p)
{
	m->prot.min_cell = (int)json_number_value(json_object_get(p, "min_cell"));
	m->prot.noise_max =
		(int)json_number_value(json_object_get(p, "noise_max"));
	m->prot.noise_sd = json_number_value(json_object_get(p, "noise_sd"));
	m->prot.as_of = str_or_null(p, "as_of");
}

static void validity_read(struct dr_model *m, const json_t *v)
{
	struct dr_validity *d = &m->validity;
	size_t i;
	json_t *r;

	d->data_until = str_or_null(v, "data_until");
	d->test_cohorts = str_or_null(v, "test_cohorts");
	d->min_n = (int)json_integer_value(json_object_get(v, "min_n"));
	json_array_foreach(json_object_get(v, "rows"), i, r) {
		struct dr_validity_row *row = &d->rows[d->nrows];

		if (d->nrows == DR_MAX_VALIDITY)
			break;
		row->instrument = str_or_null(r, "i");
		row->predictor = str_or_null(r, "p");
		row->score = str_or_null(r, "s");
		row->respondent = str_or_null(r, "r");
		row->strength = str_or_null(r, "w");
		row->n = fig(r, "n");
		row->c = fig(r, "c");
		if (row->instrument && row->predictor && row->score &&
		    row->strength && !isnan(row->c))
			d->nrows++;
	}
}

int dr_model_parse(const char *json, size_t len, struct dr_model *m,
		   struct fr_err *err)
{
	json_error_t jerr;
	json_t *doc, *r;
	size_t i;

	memset(m, 0, sizeof(*m));
	doc = json_loadb(json, len, 0, &jerr);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return fr_err_set(err, FR_EPARSE, "dash_page",
				  "the answer is not a JSON object: %s",
				  jerr.text);
	}
	m->doc = doc;
	m->period = str_or_null(doc, "period");
	m->kind = str_or_null(doc, "kind");
	m->previous = str_or_null(doc, "previous");
	m->department = str_or_null(doc, "department");
	m->target_group = str_or_null(doc, "target_group");
	if (!m->period || !m->kind)
		return fr_err_set(err, FR_EPARSE, "dash_page",
				  "the answer has no period or kind");
	periods_read(m, doc);
	if (m->ntrend == 0 || strcmp(m->trend[m->ntrend - 1], m->period) != 0)
		return fr_err_set(err, FR_EPARSE, "dash_page",
				  "the trend does not end at the period");
	m->ndeps = labels_read(json_object_get(doc, "departments"), m->deps,
			       DR_MAX_CODES);
	m->ntgs = labels_read(json_object_get(doc, "target_groups"), m->tgs,
			      DR_MAX_CODES);
	m->labels = json_object_get(doc, "labels");
	m->towards_work = json_object_get(doc, "towards_work");
	protection_read(m, json_object_get(doc, "protection"));
	json_array_foreach(json_object_get(doc, "rows"), i, r)
		row_read(m, r);
	validity_read(m, json_object_get(doc, "validity"));
	return 0;
}

void dr_model_free(struct dr_model *m)
{
	json_decref(m->doc);
	m->doc = NULL;
}
