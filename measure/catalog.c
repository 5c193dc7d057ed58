#include "fremdrift/catalog.h"
#include "fremdrift/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char catalog_codes_sql[] =
	"SELECT 'department', code, NULL FROM fremdrift.departments "
	"UNION ALL SELECT 'target_group', code, NULL FROM fremdrift.target_groups "
	"UNION ALL SELECT 'intervention', code, category FROM fremdrift.interventions "
	"UNION ALL SELECT 'exit_status', code, NULL FROM fremdrift.exit_statuses "
	"UNION ALL SELECT 'subgoal', code, NULL FROM fremdrift.subgoals "
	"UNION ALL SELECT 'meeting', code, NULL FROM fremdrift.meeting_types";

static int copy_id(char *dst, json_t *v, const char *what, struct fr_err *err)
{
	const char *s = json_string_value(v);

	if (s == NULL || *s == '\0' || strlen(s) >= INSTR_ID_MAX)
		return fr_err_set(err, FR_EPARSE, what,
				  "%s must be a string of 1 to %d characters",
				  what, INSTR_ID_MAX - 1);
	strcpy(dst, s);
	return 0;
}

/* The name, version, respondent and scale (*smin..*smax) of root. */
static int parse_header(json_t *root, struct instrument *out, int *smin,
			int *smax, struct fr_err *err)
{
	json_t *v = json_object_get(root, "version");
	json_t *scale = json_object_get(root, "scale");
	const char *resp = json_string_value(json_object_get(root, "respondent"));
	int rc = copy_id(out->name, json_object_get(root, "instrument"),
			 "instrument", err);

	if (rc != 0)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 32767)
		return fr_err_set(err, FR_EPARSE, "version",
				  "version must be a positive integer");
	out->version = (int)json_integer_value(v);
	if (resp && strcmp(resp, "citizen") == 0)
		out->respondent = 'c';
	else if (resp && strcmp(resp, "consultant") == 0)
		out->respondent = 'k';
	else
		return fr_err_set(err, FR_EPARSE, "respondent",
				  "respondent must be citizen or consultant");
	*smin = (int)json_integer_value(json_object_get(scale, "min"));
	*smax = (int)json_integer_value(json_object_get(scale, "max"));
	if (*smax <= *smin)
		return fr_err_set(err, FR_EPARSE, "scale",
				  "scale needs integer min < max");
	return 0;
}

static int parse_dims(json_t *dims, struct instrument *out, struct fr_err *err)
{
	json_t *v;
	size_t i;

	if (!json_is_array(dims) || json_array_size(dims) == 0 ||
	    json_array_size(dims) > INSTR_MAX_DIMS)
		return fr_err_set(err, FR_EPARSE, "dimensions",
				  "dimensions must be a list of 1 to %d",
				  INSTR_MAX_DIMS);
	json_array_foreach(dims, i, v) {
		struct instr_dim *d = &out->dims[out->ndims];
		int rc = copy_id(d->id, json_object_get(v, "id"), "dimension id",
				 err);

		if (rc != 0)
			return rc;
		if (instr_find_dim(out, d->id) >= 0)
			return fr_err_set(err, FR_EPARSE, "dimensions",
					  "dimension %s is defined twice", d->id);
		d->prior_alpha = json_number_value(json_object_get(v, "prior_alpha"));
		if (d->prior_alpha <= 0 || d->prior_alpha >= 1)
			return fr_err_set(err, FR_EPARSE, "prior_alpha",
					  "dimension %s needs a prior_alpha "
					  "between 0 and 1",
					  d->id);
		d->optional = json_is_true(json_object_get(v, "optional"));
		out->ndims++;
	}
	return 0;
}

/* One item v; items default to the questionnaire's scale smin..smax. */
static int parse_item(json_t *v, struct instrument *out, int smin, int smax,
		      struct fr_err *err)
{
	struct instr_item *it = &out->items[out->nitems];
	const char *dim = json_string_value(json_object_get(v, "dimension"));
	json_t *imin = json_object_get(v, "min"), *imax = json_object_get(v, "max");
	struct instr_dim *d;
	int rc = copy_id(it->id, json_object_get(v, "id"), "item id", err);

	if (rc != 0)
		return rc;
	if (instr_find_item(out, it->id, strlen(it->id)) >= 0)
		return fr_err_set(err, FR_EPARSE, "items",
				  "item %s is defined twice", it->id);
	it->dim = dim ? instr_find_dim(out, dim) : -1;
	if (it->dim < 0)
		return fr_err_set(err, FR_EPARSE, "items",
				  "item %s names no known dimension", it->id);
	it->min = imin ? (int)json_integer_value(imin) : smin;
	it->max = imax ? (int)json_integer_value(imax) : smax;
	if (it->max <= it->min)
		return fr_err_set(err, FR_EPARSE, "items",
				  "item %s needs min < max", it->id);
	it->reversed = json_is_true(json_object_get(v, "reversed"));
	d = &out->dims[it->dim];
	d->items[d->nitems++] = out->nitems;
	out->nitems++;
	return 0;
}

static int parse_items(json_t *items, struct instrument *out, int smin,
		       int smax, struct fr_err *err)
{
	json_t *v;
	size_t i;

	if (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > INSTR_MAX_ITEMS)
		return fr_err_set(err, FR_EPARSE, "items",
				  "items must be a list of 1 to %d",
				  INSTR_MAX_ITEMS);
	json_array_foreach(items, i, v) {
		int rc = parse_item(v, out, smin, smax, err);

		if (rc != 0)
			return rc;
	}
	for (int d = 0; d < out->ndims; d++)
		if (out->dims[d].nitems == 0)
			return fr_err_set(err, FR_EPARSE, "dimensions",
					  "dimension %s has no items",
					  out->dims[d].id);
	return 0;
}

static int parse_subgoals(json_t *subgoals, struct instrument *out,
			  struct fr_err *err)
{
	json_t *v;
	size_t i;

	if (subgoals != NULL && (!json_is_array(subgoals) ||
				 json_array_size(subgoals) > INSTR_MAX_SUBGOALS))
		return fr_err_set(err, FR_EPARSE, "subgoals",
				  "subgoals must be a list of at most %d",
				  INSTR_MAX_SUBGOALS);
	json_array_foreach(subgoals, i, v) {
		struct instr_subgoal *g = &out->subgoals[out->nsubgoals];
		const char *dim = json_string_value(json_object_get(v, "dimension"));
		int rc = copy_id(g->id, json_object_get(v, "id"), "subgoal id",
				 err);

		if (rc != 0)
			return rc;
		g->dim = dim ? instr_find_dim(out, dim) : -1;
		g->threshold = json_number_value(json_object_get(v, "threshold"));
		if (g->dim < 0 || g->threshold <= 0 || g->threshold > 100)
			return fr_err_set(err, FR_EPARSE, "subgoals",
					  "subgoal %s needs a known dimension and "
					  "a threshold in (0, 100]",
					  g->id);
		out->nsubgoals++;
	}
	return 0;
}

int catalog_parse_instrument(const char *text, size_t len,
			     struct instrument *out, struct fr_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	int smin = 0, smax = 0, rc;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return fr_err_set(err, FR_EPARSE, NULL, "line %d: %s", jerr.line,
				  jerr.text);
	rc = parse_header(root, out, &smin, &smax, err);
	if (rc == 0)
		rc = parse_dims(json_object_get(root, "dimensions"), out, err);
	if (rc == 0)
		rc = parse_items(json_object_get(root, "items"), out, smin, smax,
				 err);
	if (rc == 0)
		rc = parse_subgoals(json_object_get(root, "subgoals"), out, err);
	json_decref(root);
	return rc;
}

int catalog_init(struct catalog *cat, struct fr_err *err)
{
	memset(cat, 0, sizeof(*cat));
	for (int i = 0; i < fr_instrument_sources_count; i++) {
		const struct catalog_source *src = &fr_instrument_sources[i];
		struct instrument *ins = &cat->instruments[cat->ninstruments];
		int rc;

		if (cat->ninstruments == CATALOG_MAX_INSTRUMENTS)
			return fr_err_set(err, FR_ECONFIG, NULL,
					  "too many instrument definitions");
		rc = catalog_parse_instrument(src->text, strlen(src->text), ins,
					      err);
		if (rc != 0) {
			char msg[FR_ERR_MSG_MAX];

			snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
			return fr_err_set(err, rc, NULL, "instruments/%s: %s",
					  src->name, msg);
		}
		if (catalog_instrument(cat, ins->name, strlen(ins->name),
				       ins->version) != NULL)
			return fr_err_set(err, FR_ECONFIG, NULL,
					  "instruments/%s: %s version %d is "
					  "defined twice",
					  src->name, ins->name, ins->version);
		cat->ninstruments++;
	}
	return 0;
}

static void free_set(struct cat_set *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->codes[i]);
		free(s->extra[i]);
	}
	free(s->codes);
	free(s->extra);
	memset(s, 0, sizeof(*s));
}

void catalog_free(struct catalog *cat)
{
	for (int k = 0; k < CAT_KINDS; k++)
		free_set(&cat->sets[k]);
	cat->codes_loaded = 0;
}

const struct instrument *catalog_instrument(const struct catalog *cat,
					    const char *name, size_t len,
					    int version)
{
	for (int i = 0; i < cat->ninstruments; i++) {
		const struct instrument *ins = &cat->instruments[i];

		if (ins->version == version && strlen(ins->name) == len &&
		    memcmp(ins->name, name, len) == 0)
			return ins;
	}
	return NULL;
}

/* Binary search over the sorted codes; -1 when absent. */
static int find_code(const struct cat_set *s, const char *code, size_t len)
{
	int lo = 0, hi = s->n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strncmp(s->codes[mid], code, len);

		if (c == 0 && s->codes[mid][len] != '\0')
			c = 1;
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int catalog_has(const struct catalog *cat, enum cat_kind kind,
		const char *code, size_t len)
{
	return find_code(&cat->sets[kind], code, len) >= 0;
}

static int kind_of(const char *name)
{
	static const char *const names[CAT_KINDS] = {
		"department", "target_group", "intervention",
		"exit_status", "subgoal", "meeting"};

	for (int k = 0; k < CAT_KINDS; k++)
		if (strcmp(names[k], name) == 0)
			return k;
	return -1;
}

struct pair {
	char *code, *extra;
};

static int cmp_pair(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->code,
		      ((const struct pair *)b)->code);
}

int catalog_set_codes(struct catalog *cat, int nrows, const char *const *kinds,
		      const char *const *codes, const char *const *extras)
{
	for (int k = 0; k < CAT_KINDS; k++) {
		struct cat_set *s = &cat->sets[k];
		struct pair *pairs = fr_xcalloc((size_t)nrows + 1, sizeof(*pairs));
		int n = 0;

		free_set(s);
		for (int r = 0; r < nrows; r++) {
			if (kind_of(kinds[r]) != k)
				continue;
			pairs[n].code = fr_xstrdup(codes[r]);
			pairs[n].extra = extras[r] ? fr_xstrdup(extras[r]) : NULL;
			n++;
		}
		qsort(pairs, (size_t)n, sizeof(*pairs), cmp_pair);
		s->codes = fr_xcalloc((size_t)n + 1, sizeof(char *));
		s->extra = fr_xcalloc((size_t)n + 1, sizeof(char *));
		for (int i = 0; i < n; i++) {
			s->codes[i] = pairs[i].code;
			s->extra[i] = pairs[i].extra;
		}
		s->n = n;
		free(pairs);
	}
	cat->codes_loaded = 1;
	return 0;
}
